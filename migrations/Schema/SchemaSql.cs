namespace Billing.Migrations.Schema;

/// <summary>
/// The parts of the schema EF Core cannot express: monthly partitioning of <c>billing_events</c>, exclusion
/// constraints against overlapping validity, the two database roles, and the guard on the destructive rollback.
/// Every statement is safe to run inside the idempotent script's <c>DO</c> blocks.
/// </summary>
internal static class SchemaSql
{
    public const string WriterRole = "billing_writer";
    public const string ReaderRole = "billing_reader";

    /// <summary>Session setting that lets the down-migration drop tables that hold data.</summary>
    public const string AllowDestructiveRollbackSetting = "billing.allow_destructive_rollback";

    /// <summary>
    /// EF Core has just created <c>billing_events</c> as a plain table from the model; re-create it, with the same
    /// columns and checks, as a table partitioned by range of <c>occurred_at</c>, plus a default partition so an
    /// event outside every monthly partition is still stored rather than lost.
    /// </summary>
    public const string PartitionBillingEvents = """
        ALTER TABLE billing.billing_events RENAME TO billing_events_model;
        ALTER TABLE billing.billing_events_model RENAME CONSTRAINT pk_billing_events TO pk_billing_events_model;
        CREATE TABLE billing.billing_events (LIKE billing.billing_events_model INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
            PARTITION BY RANGE (occurred_at);
        DROP TABLE billing.billing_events_model;
        ALTER TABLE billing.billing_events ADD CONSTRAINT pk_billing_events PRIMARY KEY (event_id, occurred_at);
        CREATE TABLE billing.billing_events_default PARTITION OF billing.billing_events DEFAULT;
        """;

    /// <summary>
    /// <c>billing.ensure_event_partitions(from, months)</c> creates the monthly partitions (UTC months) that do not
    /// exist yet, moving any rows the default partition already holds for such a month into it. SECURITY DEFINER so
    /// the workers' role, which does not own the table, can call it; returns how many partitions it created.
    /// </summary>
    public const string EnsurePartitionsFunction = """
        CREATE OR REPLACE FUNCTION billing.ensure_event_partitions(p_from date, p_months integer)
        RETURNS integer
        LANGUAGE plpgsql
        SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $fn$
        DECLARE
            month_start date := date_trunc('month', p_from)::date;
            lower_bound timestamptz;
            upper_bound timestamptz;
            partition_name text;
            created integer := 0;
        BEGIN
            IF p_months IS NULL OR p_months < 1 OR p_months > 120 THEN
                RAISE EXCEPTION 'ensure_event_partitions: p_months must be between 1 and 120, got %', p_months;
            END IF;
            FOR i IN 1..p_months LOOP
                partition_name := format('billing_events_y%sm%s', to_char(month_start, 'YYYY'), to_char(month_start, 'MM'));
                IF to_regclass(format('billing.%I', partition_name)) IS NULL THEN
                    lower_bound := make_timestamptz(extract(year FROM month_start)::int, extract(month FROM month_start)::int, 1, 0, 0, 0, 'UTC');
                    upper_bound := lower_bound + interval '1 month';
                    IF EXISTS (SELECT 1 FROM billing.billing_events_default
                               WHERE occurred_at >= lower_bound AND occurred_at < upper_bound) THEN
                        LOCK TABLE billing.billing_events IN ACCESS EXCLUSIVE MODE;
                        CREATE TEMP TABLE billing_events_moving ON COMMIT DROP AS
                            SELECT * FROM billing.billing_events_default
                            WHERE occurred_at >= lower_bound AND occurred_at < upper_bound;
                        DELETE FROM billing.billing_events_default
                            WHERE occurred_at >= lower_bound AND occurred_at < upper_bound;
                        EXECUTE format('CREATE TABLE billing.%I PARTITION OF billing.billing_events FOR VALUES FROM (%L) TO (%L)',
                                       partition_name, lower_bound, upper_bound);
                        INSERT INTO billing.billing_events SELECT * FROM billing_events_moving;
                        DROP TABLE billing_events_moving;
                    ELSE
                        EXECUTE format('CREATE TABLE billing.%I PARTITION OF billing.billing_events FOR VALUES FROM (%L) TO (%L)',
                                       partition_name, lower_bound, upper_bound);
                    END IF;
                    created := created + 1;
                END IF;
                month_start := (month_start + interval '1 month')::date;
            END LOOP;
            RETURN created;
        END
        $fn$;
        REVOKE ALL ON FUNCTION billing.ensure_event_partitions(date, integer) FROM PUBLIC;
        """;

    /// <summary>Partitions for the months around launch; <c>billing-ops migrate</c> keeps creating them ahead of time.</summary>
    /// <remarks>A <c>DO</c> block rather than a bare SELECT, which the idempotent script's PL/pgSQL wrapper cannot run.</remarks>
    public const string InitialPartitions =
        "DO $partitions$ BEGIN PERFORM billing.ensure_event_partitions(DATE '2026-01-01', 36); END $partitions$;";

    /// <summary>The database, not only the application, makes overlapping validity for one key impossible.</summary>
    public const string ExclusionConstraints = """
        ALTER TABLE billing.pricing_rules ADD CONSTRAINT ex_pricing_rules_no_overlap
            EXCLUDE USING gist (tier WITH =, operator WITH =, currency WITH =, tstzrange(valid_from, valid_to, '[)') WITH &&);
        ALTER TABLE billing.operator_costs ADD CONSTRAINT ex_operator_costs_no_overlap
            EXCLUDE USING gist (operator WITH =, tstzrange(valid_from, valid_to, '[)') WITH &&);
        """;

    /// <summary>
    /// Two group roles (NOLOGIN): the workers' read-write role and the API's read-only role. Login users (or Vault's
    /// dynamic credentials) are granted membership. Roles belong to the cluster, so they are created only when absent
    /// (a migrator without CREATEROLE works when an administrator created them first) and never dropped on rollback.
    /// </summary>
    public const string Roles = $"""
        DO $roles$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{WriterRole}') THEN
                CREATE ROLE {WriterRole} NOLOGIN;
            END IF;
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ReaderRole}') THEN
                CREATE ROLE {ReaderRole} NOLOGIN;
            END IF;
        END
        $roles$;
        GRANT USAGE ON SCHEMA billing TO {WriterRole}, {ReaderRole};
        GRANT SELECT ON ALL TABLES IN SCHEMA billing TO {ReaderRole};
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA billing TO {WriterRole};
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA billing TO {WriterRole};
        GRANT EXECUTE ON FUNCTION billing.ensure_event_partitions(date, integer) TO {WriterRole};
        ALTER DEFAULT PRIVILEGES IN SCHEMA billing GRANT SELECT ON TABLES TO {ReaderRole};
        ALTER DEFAULT PRIVILEGES IN SCHEMA billing GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {WriterRole};
        ALTER DEFAULT PRIVILEGES IN SCHEMA billing GRANT USAGE, SELECT ON SEQUENCES TO {WriterRole};
        """;

    /// <summary>
    /// First statement of the down-migration: refuse while any billing table holds a row, unless the session set
    /// <see cref="AllowDestructiveRollbackSetting"/> to <c>on</c> (<c>billing-ops migrate --rollback --force</c>).
    /// </summary>
    public const string RollbackGuard = $"""
        DO $guard$
        DECLARE
            table_name text;
            has_rows boolean;
            tables_with_data text := '';
        BEGIN
            IF coalesce(current_setting('{AllowDestructiveRollbackSetting}', true), '') = 'on' THEN
                RETURN;
            END IF;
            FOR table_name IN
                SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'billing' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
                  AND c.relname <> '__ef_migrations_history'
                ORDER BY c.relname
            LOOP
                EXECUTE format('SELECT EXISTS (SELECT 1 FROM billing.%I)', table_name) INTO has_rows;
                IF has_rows THEN
                    tables_with_data := tables_with_data || ' ' || table_name;
                END IF;
            END LOOP;
            IF tables_with_data <> '' THEN
                RAISE EXCEPTION 'refusing to roll back the billing schema: these tables hold data:%', tables_with_data
                    USING HINT = 'The rollback drops every billing table. Run billing-ops migrate --rollback --force to drop them anyway.';
            END IF;
        END
        $guard$;
        """;

    public const string DropEnsurePartitionsFunction = "DROP FUNCTION IF EXISTS billing.ensure_event_partitions(date, integer);";
}
