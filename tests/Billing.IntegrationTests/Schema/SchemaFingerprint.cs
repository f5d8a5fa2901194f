using Billing.IntegrationTests.Infrastructure;

namespace Billing.IntegrationTests.Schema;

/// <summary>A comparable description of the billing schema: columns, constraints, indexes, functions, partitions, grants.</summary>
internal static class SchemaFingerprint
{
    public static async Task<List<string>> ReadAsync(TestDatabase database)
    {
        await using var command = database.DataSource.CreateCommand("""
            SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type
                   || coalesce('(' || character_maximum_length || ')', '')
                   || coalesce(' ' || numeric_precision || ',' || numeric_scale, '')
                   || ' nullable=' || is_nullable || ' default=' || coalesce(column_default, '')
            FROM information_schema.columns WHERE table_schema = 'billing'
            UNION ALL
            SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
            FROM pg_constraint WHERE connamespace = 'billing'::regnamespace
            UNION ALL
            SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'billing'
            UNION ALL
            SELECT 'function ' || proname || ' definer=' || prosecdef || ' ' || regexp_replace(prosrc, '\s+', ' ', 'g')
            FROM pg_proc WHERE pronamespace = 'billing'::regnamespace
            UNION ALL
            SELECT 'partition ' || relname || ' ' || pg_get_expr(relpartbound, oid)
            FROM pg_class WHERE relnamespace = 'billing'::regnamespace AND relispartition AND relkind = 'r'
            UNION ALL
            SELECT 'grant ' || table_name || ' ' || grantee || ' ' || privilege_type
            FROM information_schema.role_table_grants
            WHERE table_schema = 'billing' AND grantee IN ('billing_writer', 'billing_reader')
            ORDER BY 1
            """);
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }
        return rows;
    }
}
