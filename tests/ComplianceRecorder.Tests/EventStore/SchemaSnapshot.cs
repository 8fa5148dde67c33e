using Npgsql;

namespace ComplianceRecorder.Tests.EventStore;

/// <summary>
/// A database's schema as sorted lines read from the catalog: relations and their columns, constraints,
/// indexes, triggers, views, sequences, functions (each whole, from pg_get_functiondef, with owner,
/// SECURITY DEFINER and settings), and who may do what on each (ACLs read against their defaults, so
/// "never granted" and "granted, then revoked" compare equal), the schema's own ACL and default privileges.
/// </summary>
internal static class SchemaSnapshot
{
    private const string Query = """
        WITH ns AS (SELECT current_schema()::regnamespace AS oid),
        rel AS (SELECT c.* FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relname <> ALL($1)),
        who AS (SELECT 0::oid AS oid, 'PUBLIC' AS name UNION ALL SELECT r.oid, r.rolname::text FROM pg_roles r)
        SELECT 'relation ' || c.relname || ' kind=' || c.relkind::text || ' owner=' || pg_get_userbyid(c.relowner)
               || ' persistence=' || c.relpersistence::text || ' rls=' || c.relrowsecurity || ' options=' || coalesce(array_to_string(c.reloptions, ','), '')
          FROM rel c WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
        UNION ALL
        SELECT 'grant on ' || c.relname || ' to ' || g.name || ': ' || a.privilege_type || CASE WHEN a.is_grantable THEN ' grantable' ELSE '' END
               || ' by ' || pg_get_userbyid(a.grantor)
          FROM rel c CROSS JOIN LATERAL aclexplode(coalesce(c.relacl, acldefault((CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END)::"char", c.relowner))) a
          JOIN who g ON g.oid = a.grantee
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
        UNION ALL
        SELECT 'column ' || c.relname || '.' || a.attname || ' #' || a.attnum || ' ' || format_type(a.atttypid, a.atttypmod)
               || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
               || ' identity=' || a.attidentity::text || ' generated=' || a.attgenerated::text || ' collation=' || coalesce(co.collname::text, '-')
               || coalesce(' acl=' || a.attacl::text, '')
          FROM rel c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
          LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
          LEFT JOIN pg_collation co ON co.oid = a.attcollation
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
        UNION ALL
        SELECT 'constraint ' || c.relname || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid)
               || ' deferrable=' || k.condeferrable || ' validated=' || k.convalidated
          FROM pg_constraint k JOIN rel c ON c.oid = k.conrelid
        UNION ALL
        SELECT 'index ' || pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN rel c ON c.oid = i.indrelid
        UNION ALL
        SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
          FROM pg_trigger t JOIN rel c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal
        UNION ALL
        SELECT 'view ' || c.relname || E'\n' || pg_get_viewdef(c.oid) FROM rel c WHERE c.relkind IN ('v', 'm')
        UNION ALL
        SELECT 'sequence ' || c.relname || ' ' || format_type(s.seqtypid, NULL) || ' start ' || s.seqstart || ' increment ' || s.seqincrement
               || ' min ' || s.seqmin || ' max ' || s.seqmax || ' cache ' || s.seqcache || ' cycle ' || s.seqcycle
          FROM pg_sequence s JOIN rel c ON c.oid = s.seqrelid
        UNION ALL
        SELECT 'function ' || p.oid::regprocedure || ' owner=' || pg_get_userbyid(p.proowner) || ' security_definer=' || p.prosecdef
               || ' config=' || coalesce(array_to_string(p.proconfig, ','), '') || E'\n' || pg_get_functiondef(p.oid)
          FROM pg_proc p WHERE p.pronamespace = (SELECT oid FROM ns)
        UNION ALL
        SELECT 'grant on function ' || p.oid::regprocedure || ' to ' || g.name || ': ' || a.privilege_type
               || CASE WHEN a.is_grantable THEN ' grantable' ELSE '' END || ' by ' || pg_get_userbyid(a.grantor)
          FROM pg_proc p CROSS JOIN LATERAL aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
          JOIN who g ON g.oid = a.grantee
         WHERE p.pronamespace = (SELECT oid FROM ns)
        UNION ALL
        SELECT 'schema owner=' || pg_get_userbyid(n.nspowner) FROM pg_namespace n WHERE n.oid = (SELECT oid FROM ns)
        UNION ALL
        SELECT 'grant on schema to ' || g.name || ': ' || a.privilege_type || ' by ' || pg_get_userbyid(a.grantor)
          FROM pg_namespace n CROSS JOIN LATERAL aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
          JOIN who g ON g.oid = a.grantee
         WHERE n.oid = (SELECT oid FROM ns)
        UNION ALL
        SELECT 'default privileges of ' || pg_get_userbyid(d.defaclrole) || ' on ' || d.defaclobjtype::text
               || ' in ' || coalesce(d.defaclnamespace::regnamespace::text, 'all schemas') || ': ' || d.defaclacl::text
          FROM pg_default_acl d
        """;

    /// <param name="except">Tables (and what belongs to them) left out.</param>
    public static async Task<IReadOnlyList<string>> TakeAsync(string connectionString, params string[] except)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        await using var cmd = db.CreateCommand(Query);
        cmd.Parameters.AddWithValue(except);
        var lines = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            lines.Add(r.GetString(0));
        }
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    /// <summary>What one schema has that the other has not, each line prefixed with the side that has it (empty when equal).</summary>
    public static IReadOnlyList<string> Differences(IReadOnlyList<string> left, string leftName, IReadOnlyList<string> right, string rightName) =>
    [
        .. left.Except(right, StringComparer.Ordinal).Select(l => $"only in {leftName}: {l}"),
        .. right.Except(left, StringComparer.Ordinal).Select(l => $"only in {rightName}: {l}"),
    ];
}
