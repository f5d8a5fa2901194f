DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM pg_namespace WHERE nspname = 'billing') THEN
        CREATE SCHEMA billing;
    END IF;
END $EF$;
CREATE TABLE IF NOT EXISTS billing.__ef_migrations_history (
    migration_id character varying(150) NOT NULL,
    product_version character varying(32) NOT NULL,
    CONSTRAINT pk___ef_migrations_history PRIMARY KEY (migration_id)
);

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
        IF NOT EXISTS(SELECT 1 FROM pg_namespace WHERE nspname = 'billing') THEN
            CREATE SCHEMA billing;
        END IF;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
        IF NOT EXISTS(SELECT 1 FROM pg_namespace WHERE nspname = 'billing') THEN
            CREATE SCHEMA billing;
        END IF;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE EXTENSION IF NOT EXISTS btree_gist;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE TABLE billing.account_tiers (
        code character varying(32) NOT NULL,
        name character varying(100) NOT NULL,
        active boolean NOT NULL,
        CONSTRAINT pk_account_tiers PRIMARY KEY (code)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE TABLE billing.billing_event_ids (
        event_id uuid NOT NULL,
        occurred_at timestamp with time zone NOT NULL,
        stream_sequence bigint NOT NULL,
        CONSTRAINT pk_billing_event_ids PRIMARY KEY (event_id)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE TABLE billing.billing_events (
        event_id uuid NOT NULL,
        occurred_at timestamp with time zone NOT NULL,
        type character varying(16) NOT NULL,
        account_id character varying(64) NOT NULL,
        message_id character varying(64) NOT NULL,
        operator character varying(6) NOT NULL,
        country character(2) NOT NULL,
        segments smallint NOT NULL,
        stream_sequence bigint NOT NULL,
        received_at timestamp with time zone NOT NULL,
        status character varying(16) NOT NULL,
        unrated_reason character varying(32),
        tier character varying(32),
        currency character(3),
        pricing_rule_id bigint,
        unit_price numeric(18,6),
        billable boolean NOT NULL,
        amount numeric(20,6),
        operator_cost_id bigint,
        unit_cost numeric(18,6),
        cost numeric(20,6),
        cost_currency character(3),
        rated_at timestamp with time zone,
        CONSTRAINT pk_billing_events PRIMARY KEY (event_id, occurred_at),
        CONSTRAINT ck_billing_events_segments CHECK (segments BETWEEN 1 AND 255),
        CONSTRAINT ck_billing_events_status CHECK ((status = 'rated' AND unrated_reason IS NULL AND currency IS NOT NULL AND amount IS NOT NULL) OR (status = 'unrated' AND unrated_reason IN ('pricing_not_found', 'account_not_found') AND amount IS NULL)),
        CONSTRAINT ck_billing_events_type CHECK (type IN ('sms.submitted', 'sms.delivered', 'sms.failed', 'sms.expired'))
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    ALTER TABLE billing.billing_events RENAME TO billing_events_model;
    ALTER TABLE billing.billing_events_model RENAME CONSTRAINT pk_billing_events TO pk_billing_events_model;
    CREATE TABLE billing.billing_events (LIKE billing.billing_events_model INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
        PARTITION BY RANGE (occurred_at);
    DROP TABLE billing.billing_events_model;
    ALTER TABLE billing.billing_events ADD CONSTRAINT pk_billing_events PRIMARY KEY (event_id, occurred_at);
    CREATE TABLE billing.billing_events_default PARTITION OF billing.billing_events DEFAULT;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE TABLE billing.dead_letters (
        id bigint GENERATED ALWAYS AS IDENTITY,
        stream character varying(64) NOT NULL,
        stream_sequence bigint NOT NULL,
        subject character varying(256) NOT NULL,
        payload bytea NOT NULL,
        reason_code character varying(32) NOT NULL,
        reason text NOT NULL,
        delivery_count integer NOT NULL,
        received_at timestamp with time zone NOT NULL,
        CONSTRAINT pk_dead_letters PRIMARY KEY (id)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE TABLE billing.ingestion_start (
        id smallint NOT NULL,
        first_enabled_at timestamp with time zone NOT NULL,
        CONSTRAINT pk_ingestion_start PRIMARY KEY (id),
        CONSTRAINT ck_ingestion_start_single_row CHECK (id = 1)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE TABLE billing.invoice_number_counters (
        year integer NOT NULL,
        last_number integer NOT NULL,
        CONSTRAINT pk_invoice_number_counters PRIMARY KEY (year),
        CONSTRAINT ck_invoice_number_counters_range CHECK (last_number BETWEEN 0 AND 999999)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE TABLE billing.invoice_runs (
        id uuid NOT NULL,
        period_start date NOT NULL,
        account_filter character varying(64),
        dry_run boolean NOT NULL,
        started_at timestamp with time zone NOT NULL,
        finished_at timestamp with time zone,
        status character varying(16) NOT NULL,
        invoices_issued integer NOT NULL,
        error text,
        CONSTRAINT pk_invoice_runs PRIMARY KEY (id),
        CONSTRAINT ck_invoice_runs_status CHECK (status IN ('running', 'succeeded', 'failed'))
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE TABLE billing.operators (
        mccmnc character varying(6) NOT NULL,
        name character varying(100) NOT NULL,
        country character(2) NOT NULL,
        active boolean NOT NULL,
        CONSTRAINT pk_operators PRIMARY KEY (mccmnc),
        CONSTRAINT ck_operators_country CHECK (country ~ '^[A-Z]{2}$'),
        CONSTRAINT ck_operators_mccmnc CHECK (mccmnc ~ '^[0-9]{5,6}$')
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE TABLE billing.outbox_messages (
        id uuid NOT NULL,
        subject character varying(256) NOT NULL,
        message_id character varying(128) NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamp with time zone NOT NULL,
        sent_at timestamp with time zone,
        attempts integer NOT NULL,
        last_error text,
        CONSTRAINT pk_outbox_messages PRIMARY KEY (id)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE TABLE billing.usage_summaries (
        account_id character varying(64) NOT NULL,
        usage_date date NOT NULL,
        operator character varying(6) NOT NULL,
        currency character(3) NOT NULL,
        submitted_count bigint NOT NULL,
        delivered_count bigint NOT NULL,
        failed_count bigint NOT NULL,
        expired_count bigint NOT NULL,
        billable_segments bigint NOT NULL,
        amount numeric(20,6) NOT NULL,
        cost numeric(20,6) NOT NULL,
        unrated_count bigint NOT NULL,
        updated_at timestamp with time zone NOT NULL,
        CONSTRAINT pk_usage_summaries PRIMARY KEY (account_id, usage_date, operator, currency)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE TABLE billing.accounts (
        account_id character varying(64) NOT NULL,
        name character varying(200) NOT NULL,
        tier character varying(32) NOT NULL,
        currency character(3) NOT NULL,
        email character varying(254) NOT NULL,
        address text NOT NULL,
        tax_rate numeric(7,6) NOT NULL,
        active boolean NOT NULL,
        CONSTRAINT pk_accounts PRIMARY KEY (account_id),
        CONSTRAINT ck_accounts_currency CHECK (currency ~ '^[A-Z]{3}$'),
        CONSTRAINT ck_accounts_tax_rate CHECK (tax_rate >= 0 AND tax_rate < 1),
        CONSTRAINT fk_accounts_tier FOREIGN KEY (tier) REFERENCES billing.account_tiers (code) ON DELETE RESTRICT
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE TABLE billing.operator_costs (
        id bigint GENERATED ALWAYS AS IDENTITY,
        operator character varying(6) NOT NULL,
        currency character(3) NOT NULL,
        unit_cost numeric(18,6) NOT NULL,
        valid_from timestamp with time zone NOT NULL,
        valid_to timestamp with time zone,
        CONSTRAINT pk_operator_costs PRIMARY KEY (id),
        CONSTRAINT ck_operator_costs_currency CHECK (currency ~ '^[A-Z]{3}$'),
        CONSTRAINT ck_operator_costs_unit_cost CHECK (unit_cost >= 0),
        CONSTRAINT ck_operator_costs_validity CHECK (valid_to IS NULL OR valid_to > valid_from),
        CONSTRAINT fk_operator_costs_operator FOREIGN KEY (operator) REFERENCES billing.operators (mccmnc) ON DELETE RESTRICT
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE TABLE billing.pricing_rules (
        id bigint GENERATED ALWAYS AS IDENTITY,
        tier character varying(32) NOT NULL,
        operator character varying(6) NOT NULL,
        currency character(3) NOT NULL,
        unit_price numeric(18,6) NOT NULL,
        charge_on character varying(16) NOT NULL,
        valid_from timestamp with time zone NOT NULL,
        valid_to timestamp with time zone,
        CONSTRAINT pk_pricing_rules PRIMARY KEY (id),
        CONSTRAINT ck_pricing_rules_charge_on CHECK (charge_on IN ('submitted', 'delivered')),
        CONSTRAINT ck_pricing_rules_currency CHECK (currency ~ '^[A-Z]{3}$'),
        CONSTRAINT ck_pricing_rules_unit_price CHECK (unit_price >= 0),
        CONSTRAINT ck_pricing_rules_validity CHECK (valid_to IS NULL OR valid_to > valid_from),
        CONSTRAINT fk_pricing_rules_operator FOREIGN KEY (operator) REFERENCES billing.operators (mccmnc) ON DELETE RESTRICT,
        CONSTRAINT fk_pricing_rules_tier FOREIGN KEY (tier) REFERENCES billing.account_tiers (code) ON DELETE RESTRICT
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE TABLE billing.invoices (
        id uuid NOT NULL,
        number character varying(16) NOT NULL,
        account_id character varying(64) NOT NULL,
        currency character(3) NOT NULL,
        period_start date NOT NULL,
        period_end date NOT NULL,
        usage_recorded_from timestamp with time zone,
        issued_at timestamp with time zone NOT NULL,
        due_date date NOT NULL,
        tax_rate numeric(7,6) NOT NULL,
        subtotal numeric(20,6) NOT NULL,
        tax numeric(20,6) NOT NULL,
        total numeric(20,6) NOT NULL,
        status character varying(16) NOT NULL,
        pdf_bucket character varying(63),
        pdf_key character varying(512),
        pdf_sha256 character(64),
        invoice_run_id uuid NOT NULL,
        CONSTRAINT pk_invoices PRIMARY KEY (id),
        CONSTRAINT ck_invoices_number CHECK (number ~ '^INV-[0-9]{4}-[0-9]{6}$'),
        CONSTRAINT ck_invoices_period CHECK (period_end > period_start),
        CONSTRAINT ck_invoices_status CHECK (status IN ('issued', 'stored')),
        CONSTRAINT ck_invoices_total CHECK (total = subtotal + tax),
        CONSTRAINT fk_invoices_account FOREIGN KEY (account_id) REFERENCES billing.accounts (account_id) ON DELETE RESTRICT,
        CONSTRAINT fk_invoices_invoice_run FOREIGN KEY (invoice_run_id) REFERENCES billing.invoice_runs (id) ON DELETE RESTRICT
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE TABLE billing.invoice_lines (
        id bigint GENERATED ALWAYS AS IDENTITY,
        invoice_id uuid NOT NULL,
        line_no integer NOT NULL,
        kind character varying(16) NOT NULL,
        operator character varying(6),
        description character varying(500) NOT NULL,
        quantity bigint NOT NULL,
        unit_price numeric(18,6) NOT NULL,
        amount numeric(20,6) NOT NULL,
        CONSTRAINT pk_invoice_lines PRIMARY KEY (id),
        CONSTRAINT ck_invoice_lines_kind CHECK (kind IN ('usage', 'adjustment')),
        CONSTRAINT fk_invoice_lines_invoice FOREIGN KEY (invoice_id) REFERENCES billing.invoices (id) ON DELETE CASCADE
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE INDEX ix_accounts_tier ON billing.accounts (tier);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE INDEX ix_billing_events_account_occurred_at ON billing.billing_events (account_id, occurred_at);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE INDEX ix_billing_events_unrated ON billing.billing_events (occurred_at) WHERE status = 'unrated';
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE UNIQUE INDEX ux_dead_letters_stream_sequence ON billing.dead_letters (stream, stream_sequence);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE UNIQUE INDEX ux_invoice_lines_invoice_line_no ON billing.invoice_lines (invoice_id, line_no);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE INDEX ix_invoice_runs_started_at ON billing.invoice_runs (started_at);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE INDEX ix_invoices_invoice_run_id ON billing.invoices (invoice_run_id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE UNIQUE INDEX ux_invoices_account_currency_period ON billing.invoices (account_id, currency, period_start);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE UNIQUE INDEX ux_invoices_number ON billing.invoices (number);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE UNIQUE INDEX ux_operator_costs_key_valid_from ON billing.operator_costs (operator, valid_from);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE INDEX ix_outbox_messages_unsent ON billing.outbox_messages (created_at) WHERE sent_at IS NULL;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE INDEX ix_pricing_rules_operator ON billing.pricing_rules (operator);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    CREATE UNIQUE INDEX ux_pricing_rules_key_valid_from ON billing.pricing_rules (tier, operator, currency, valid_from);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
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
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    DO $partitions$ BEGIN PERFORM billing.ensure_event_partitions(DATE '2026-01-01', 36); END $partitions$;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    ALTER TABLE billing.pricing_rules ADD CONSTRAINT ex_pricing_rules_no_overlap
        EXCLUDE USING gist (tier WITH =, operator WITH =, currency WITH =, tstzrange(valid_from, valid_to, '[)') WITH &&);
    ALTER TABLE billing.operator_costs ADD CONSTRAINT ex_operator_costs_no_overlap
        EXCLUDE USING gist (operator WITH =, tstzrange(valid_from, valid_to, '[)') WITH &&);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    DO $roles$
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'billing_writer') THEN
            CREATE ROLE billing_writer NOLOGIN;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'billing_reader') THEN
            CREATE ROLE billing_reader NOLOGIN;
        END IF;
    END
    $roles$;
    GRANT USAGE ON SCHEMA billing TO billing_writer, billing_reader;
    GRANT SELECT ON ALL TABLES IN SCHEMA billing TO billing_reader;
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA billing TO billing_writer;
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA billing TO billing_writer;
    GRANT EXECUTE ON FUNCTION billing.ensure_event_partitions(date, integer) TO billing_writer;
    ALTER DEFAULT PRIVILEGES IN SCHEMA billing GRANT SELECT ON TABLES TO billing_reader;
    ALTER DEFAULT PRIVILEGES IN SCHEMA billing GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO billing_writer;
    ALTER DEFAULT PRIVILEGES IN SCHEMA billing GRANT USAGE, SELECT ON SEQUENCES TO billing_writer;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123220723_InitialSchema') THEN
    INSERT INTO billing.__ef_migrations_history (migration_id, product_version)
    VALUES ('20261123220723_InitialSchema', '10.0.15');
    END IF;
END $EF$;
COMMIT;

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123231315_InvoiceDocumentsAndAdjustments') THEN
    ALTER TABLE billing.outbox_messages ADD invoice_id uuid;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123231315_InvoiceDocumentsAndAdjustments') THEN
    ALTER TABLE billing.invoices ADD document jsonb NOT NULL DEFAULT '{}';
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123231315_InvoiceDocumentsAndAdjustments') THEN
    ALTER TABLE billing.invoice_lines ADD adjusted_period_start date;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123231315_InvoiceDocumentsAndAdjustments') THEN
    CREATE INDEX ix_outbox_messages_invoice_id ON billing.outbox_messages (invoice_id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123231315_InvoiceDocumentsAndAdjustments') THEN
    ALTER TABLE billing.invoice_lines ADD CONSTRAINT ck_invoice_lines_adjusted_period CHECK ((kind = 'adjustment') = (adjusted_period_start IS NOT NULL));
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261123231315_InvoiceDocumentsAndAdjustments') THEN
    INSERT INTO billing.__ef_migrations_history (migration_id, product_version)
    VALUES ('20261123231315_InvoiceDocumentsAndAdjustments', '10.0.15');
    END IF;
END $EF$;
COMMIT;

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261124034246_EventsKeyTimeFirst') THEN
    ALTER TABLE billing.billing_events DROP CONSTRAINT pk_billing_events;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261124034246_EventsKeyTimeFirst') THEN
    ALTER TABLE billing.billing_events ADD CONSTRAINT pk_billing_events PRIMARY KEY (occurred_at, event_id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261124034246_EventsKeyTimeFirst') THEN
    INSERT INTO billing.__ef_migrations_history (migration_id, product_version)
    VALUES ('20261124034246_EventsKeyTimeFirst', '10.0.15');
    END IF;
END $EF$;
COMMIT;

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261124123258_EventsWithoutAccountIndex') THEN
    DROP INDEX billing.ix_billing_events_account_occurred_at;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM billing.__ef_migrations_history WHERE "migration_id" = '20261124123258_EventsWithoutAccountIndex') THEN
    INSERT INTO billing.__ef_migrations_history (migration_id, product_version)
    VALUES ('20261124123258_EventsWithoutAccountIndex', '10.0.15');
    END IF;
END $EF$;
COMMIT;

