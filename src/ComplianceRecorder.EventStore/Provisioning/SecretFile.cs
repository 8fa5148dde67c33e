namespace ComplianceRecorder.EventStore.Provisioning;

/// <summary>A secret on disk, readable by its owner only (mode 0600) from the moment it exists.</summary>
public static class SecretFile
{
    public static void Write(string path, string secret, bool createNew = false)
    {
        var options = new FileStreamOptions { Mode = createNew ? FileMode.CreateNew : FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using var f = new FileStream(path, options);
        using var w = new StreamWriter(f);
        w.Write(secret);
    }
}
