using System.Collections.Concurrent;

namespace ComplianceRecorder.Genesys.Notifications;

/// <summary>One notification channel and its socket, and the calls it carries.</summary>
internal sealed class NotificationChannel(int index)
{
    public int Index { get; } = index;

    public ConcurrentDictionary<string, bool> Calls { get; } = new();

    /// <summary>Set while the channel's socket is open; subscribing on it meanwhile goes straight to Genesys.</summary>
    public volatile string? ChannelId;

    public volatile bool Connected;

    public int Reconnects;

    public Task Loop { get; set; } = Task.CompletedTask;

    /// <summary>Calls whose topics are to be added, and whether any left: sent by the channel's own sender, many at a time.</summary>
    public ConcurrentQueue<string> Added { get; } = new();

    /// <summary>Why the last subscription change failed, for the gap it leaves.</summary>
    public volatile string LastFailure = "";

    public volatile bool Removed;

    public SemaphoreSlim Changed { get; } = new(0);

    /// <summary>The channel last used, reconnected to while Genesys still has it (channels count against a limit of 20).</summary>
    public (string Id, Uri ConnectUri)? Last { get; set; }

    /// <summary>Why a call on this channel went unheard, for the gap it leaves.</summary>
    public string Failure => LastFailure is { Length: > 0 } f ? f : "the channel was not connected";
}
