using System;
using Billing.Migrations.Schema;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Billing.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class InitialSchema : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.EnsureSchema(
                name: "billing");

            migrationBuilder.AlterDatabase()
                .Annotation("Npgsql:PostgresExtension:btree_gist", ",,");

            migrationBuilder.CreateTable(
                name: "account_tiers",
                schema: "billing",
                columns: table => new
                {
                    code = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    active = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_account_tiers", x => x.code);
                });

            migrationBuilder.CreateTable(
                name: "billing_event_ids",
                schema: "billing",
                columns: table => new
                {
                    event_id = table.Column<Guid>(type: "uuid", nullable: false),
                    occurred_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    stream_sequence = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_billing_event_ids", x => x.event_id);
                });

            migrationBuilder.CreateTable(
                name: "billing_events",
                schema: "billing",
                columns: table => new
                {
                    event_id = table.Column<Guid>(type: "uuid", nullable: false),
                    occurred_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    type = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    account_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    message_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    @operator = table.Column<string>(name: "operator", type: "character varying(6)", maxLength: 6, nullable: false),
                    country = table.Column<string>(type: "character(2)", fixedLength: true, maxLength: 2, nullable: false),
                    segments = table.Column<short>(type: "smallint", nullable: false),
                    stream_sequence = table.Column<long>(type: "bigint", nullable: false),
                    received_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    unrated_reason = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    tier = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    currency = table.Column<string>(type: "character(3)", fixedLength: true, maxLength: 3, nullable: true),
                    pricing_rule_id = table.Column<long>(type: "bigint", nullable: true),
                    unit_price = table.Column<decimal>(type: "numeric(18,6)", precision: 18, scale: 6, nullable: true),
                    billable = table.Column<bool>(type: "boolean", nullable: false),
                    amount = table.Column<decimal>(type: "numeric(20,6)", precision: 20, scale: 6, nullable: true),
                    operator_cost_id = table.Column<long>(type: "bigint", nullable: true),
                    unit_cost = table.Column<decimal>(type: "numeric(18,6)", precision: 18, scale: 6, nullable: true),
                    cost = table.Column<decimal>(type: "numeric(20,6)", precision: 20, scale: 6, nullable: true),
                    cost_currency = table.Column<string>(type: "character(3)", fixedLength: true, maxLength: 3, nullable: true),
                    rated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_billing_events", x => new { x.event_id, x.occurred_at });
                    table.CheckConstraint("ck_billing_events_segments", "segments BETWEEN 1 AND 255");
                    table.CheckConstraint("ck_billing_events_status", "(status = 'rated' AND unrated_reason IS NULL AND currency IS NOT NULL AND amount IS NOT NULL) OR (status = 'unrated' AND unrated_reason IN ('pricing_not_found', 'account_not_found') AND amount IS NULL)");
                    table.CheckConstraint("ck_billing_events_type", "type IN ('sms.submitted', 'sms.delivered', 'sms.failed', 'sms.expired')");
                });

            // Hand-written: EF Core cannot express partitioning (see SchemaSql).
            migrationBuilder.Sql(SchemaSql.PartitionBillingEvents);

            migrationBuilder.CreateTable(
                name: "dead_letters",
                schema: "billing",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    stream = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    stream_sequence = table.Column<long>(type: "bigint", nullable: false),
                    subject = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    payload = table.Column<byte[]>(type: "bytea", nullable: false),
                    reason_code = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    reason = table.Column<string>(type: "text", nullable: false),
                    delivery_count = table.Column<int>(type: "integer", nullable: false),
                    received_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_dead_letters", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "ingestion_start",
                schema: "billing",
                columns: table => new
                {
                    id = table.Column<short>(type: "smallint", nullable: false),
                    first_enabled_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_ingestion_start", x => x.id);
                    table.CheckConstraint("ck_ingestion_start_single_row", "id = 1");
                });

            migrationBuilder.CreateTable(
                name: "invoice_number_counters",
                schema: "billing",
                columns: table => new
                {
                    year = table.Column<int>(type: "integer", nullable: false),
                    last_number = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_invoice_number_counters", x => x.year);
                    table.CheckConstraint("ck_invoice_number_counters_range", "last_number BETWEEN 0 AND 999999");
                });

            migrationBuilder.CreateTable(
                name: "invoice_runs",
                schema: "billing",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    period_start = table.Column<DateOnly>(type: "date", nullable: false),
                    account_filter = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    dry_run = table.Column<bool>(type: "boolean", nullable: false),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    finished_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    invoices_issued = table.Column<int>(type: "integer", nullable: false),
                    error = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_invoice_runs", x => x.id);
                    table.CheckConstraint("ck_invoice_runs_status", "status IN ('running', 'succeeded', 'failed')");
                });

            migrationBuilder.CreateTable(
                name: "operators",
                schema: "billing",
                columns: table => new
                {
                    mccmnc = table.Column<string>(type: "character varying(6)", maxLength: 6, nullable: false),
                    name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    country = table.Column<string>(type: "character(2)", fixedLength: true, maxLength: 2, nullable: false),
                    active = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_operators", x => x.mccmnc);
                    table.CheckConstraint("ck_operators_country", "country ~ '^[A-Z]{2}$'");
                    table.CheckConstraint("ck_operators_mccmnc", "mccmnc ~ '^[0-9]{5,6}$'");
                });

            migrationBuilder.CreateTable(
                name: "outbox_messages",
                schema: "billing",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    subject = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    message_id = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    payload = table.Column<string>(type: "jsonb", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    sent_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    last_error = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_outbox_messages", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "usage_summaries",
                schema: "billing",
                columns: table => new
                {
                    account_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    usage_date = table.Column<DateOnly>(type: "date", nullable: false),
                    @operator = table.Column<string>(name: "operator", type: "character varying(6)", maxLength: 6, nullable: false),
                    currency = table.Column<string>(type: "character(3)", fixedLength: true, maxLength: 3, nullable: false),
                    submitted_count = table.Column<long>(type: "bigint", nullable: false),
                    delivered_count = table.Column<long>(type: "bigint", nullable: false),
                    failed_count = table.Column<long>(type: "bigint", nullable: false),
                    expired_count = table.Column<long>(type: "bigint", nullable: false),
                    billable_segments = table.Column<long>(type: "bigint", nullable: false),
                    amount = table.Column<decimal>(type: "numeric(20,6)", precision: 20, scale: 6, nullable: false),
                    cost = table.Column<decimal>(type: "numeric(20,6)", precision: 20, scale: 6, nullable: false),
                    unrated_count = table.Column<long>(type: "bigint", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_usage_summaries", x => new { x.account_id, x.usage_date, x.@operator, x.currency });
                });

            migrationBuilder.CreateTable(
                name: "accounts",
                schema: "billing",
                columns: table => new
                {
                    account_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    tier = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    currency = table.Column<string>(type: "character(3)", fixedLength: true, maxLength: 3, nullable: false),
                    email = table.Column<string>(type: "character varying(254)", maxLength: 254, nullable: false),
                    address = table.Column<string>(type: "text", nullable: false),
                    tax_rate = table.Column<decimal>(type: "numeric(7,6)", precision: 7, scale: 6, nullable: false),
                    active = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_accounts", x => x.account_id);
                    table.CheckConstraint("ck_accounts_currency", "currency ~ '^[A-Z]{3}$'");
                    table.CheckConstraint("ck_accounts_tax_rate", "tax_rate >= 0 AND tax_rate < 1");
                    table.ForeignKey(
                        name: "fk_accounts_tier",
                        column: x => x.tier,
                        principalSchema: "billing",
                        principalTable: "account_tiers",
                        principalColumn: "code",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "operator_costs",
                schema: "billing",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    @operator = table.Column<string>(name: "operator", type: "character varying(6)", maxLength: 6, nullable: false),
                    currency = table.Column<string>(type: "character(3)", fixedLength: true, maxLength: 3, nullable: false),
                    unit_cost = table.Column<decimal>(type: "numeric(18,6)", precision: 18, scale: 6, nullable: false),
                    valid_from = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    valid_to = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_operator_costs", x => x.id);
                    table.CheckConstraint("ck_operator_costs_currency", "currency ~ '^[A-Z]{3}$'");
                    table.CheckConstraint("ck_operator_costs_unit_cost", "unit_cost >= 0");
                    table.CheckConstraint("ck_operator_costs_validity", "valid_to IS NULL OR valid_to > valid_from");
                    table.ForeignKey(
                        name: "fk_operator_costs_operator",
                        column: x => x.@operator,
                        principalSchema: "billing",
                        principalTable: "operators",
                        principalColumn: "mccmnc",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "pricing_rules",
                schema: "billing",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    tier = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    @operator = table.Column<string>(name: "operator", type: "character varying(6)", maxLength: 6, nullable: false),
                    currency = table.Column<string>(type: "character(3)", fixedLength: true, maxLength: 3, nullable: false),
                    unit_price = table.Column<decimal>(type: "numeric(18,6)", precision: 18, scale: 6, nullable: false),
                    charge_on = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    valid_from = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    valid_to = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_pricing_rules", x => x.id);
                    table.CheckConstraint("ck_pricing_rules_charge_on", "charge_on IN ('submitted', 'delivered')");
                    table.CheckConstraint("ck_pricing_rules_currency", "currency ~ '^[A-Z]{3}$'");
                    table.CheckConstraint("ck_pricing_rules_unit_price", "unit_price >= 0");
                    table.CheckConstraint("ck_pricing_rules_validity", "valid_to IS NULL OR valid_to > valid_from");
                    table.ForeignKey(
                        name: "fk_pricing_rules_operator",
                        column: x => x.@operator,
                        principalSchema: "billing",
                        principalTable: "operators",
                        principalColumn: "mccmnc",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_pricing_rules_tier",
                        column: x => x.tier,
                        principalSchema: "billing",
                        principalTable: "account_tiers",
                        principalColumn: "code",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "invoices",
                schema: "billing",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    number = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    account_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    currency = table.Column<string>(type: "character(3)", fixedLength: true, maxLength: 3, nullable: false),
                    period_start = table.Column<DateOnly>(type: "date", nullable: false),
                    period_end = table.Column<DateOnly>(type: "date", nullable: false),
                    usage_recorded_from = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    issued_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    due_date = table.Column<DateOnly>(type: "date", nullable: false),
                    tax_rate = table.Column<decimal>(type: "numeric(7,6)", precision: 7, scale: 6, nullable: false),
                    subtotal = table.Column<decimal>(type: "numeric(20,6)", precision: 20, scale: 6, nullable: false),
                    tax = table.Column<decimal>(type: "numeric(20,6)", precision: 20, scale: 6, nullable: false),
                    total = table.Column<decimal>(type: "numeric(20,6)", precision: 20, scale: 6, nullable: false),
                    status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    pdf_bucket = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: true),
                    pdf_key = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: true),
                    pdf_sha256 = table.Column<string>(type: "character(64)", fixedLength: true, maxLength: 64, nullable: true),
                    invoice_run_id = table.Column<Guid>(type: "uuid", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_invoices", x => x.id);
                    table.CheckConstraint("ck_invoices_number", "number ~ '^INV-[0-9]{4}-[0-9]{6}$'");
                    table.CheckConstraint("ck_invoices_period", "period_end > period_start");
                    table.CheckConstraint("ck_invoices_status", "status IN ('issued', 'stored')");
                    table.CheckConstraint("ck_invoices_total", "total = subtotal + tax");
                    table.ForeignKey(
                        name: "fk_invoices_account",
                        column: x => x.account_id,
                        principalSchema: "billing",
                        principalTable: "accounts",
                        principalColumn: "account_id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_invoices_invoice_run",
                        column: x => x.invoice_run_id,
                        principalSchema: "billing",
                        principalTable: "invoice_runs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "invoice_lines",
                schema: "billing",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    invoice_id = table.Column<Guid>(type: "uuid", nullable: false),
                    line_no = table.Column<int>(type: "integer", nullable: false),
                    kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    @operator = table.Column<string>(name: "operator", type: "character varying(6)", maxLength: 6, nullable: true),
                    description = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    quantity = table.Column<long>(type: "bigint", nullable: false),
                    unit_price = table.Column<decimal>(type: "numeric(18,6)", precision: 18, scale: 6, nullable: false),
                    amount = table.Column<decimal>(type: "numeric(20,6)", precision: 20, scale: 6, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_invoice_lines", x => x.id);
                    table.CheckConstraint("ck_invoice_lines_kind", "kind IN ('usage', 'adjustment')");
                    table.ForeignKey(
                        name: "fk_invoice_lines_invoice",
                        column: x => x.invoice_id,
                        principalSchema: "billing",
                        principalTable: "invoices",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_accounts_tier",
                schema: "billing",
                table: "accounts",
                column: "tier");

            migrationBuilder.CreateIndex(
                name: "ix_billing_events_account_occurred_at",
                schema: "billing",
                table: "billing_events",
                columns: new[] { "account_id", "occurred_at" });

            migrationBuilder.CreateIndex(
                name: "ix_billing_events_unrated",
                schema: "billing",
                table: "billing_events",
                column: "occurred_at",
                filter: "status = 'unrated'");

            migrationBuilder.CreateIndex(
                name: "ux_dead_letters_stream_sequence",
                schema: "billing",
                table: "dead_letters",
                columns: new[] { "stream", "stream_sequence" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ux_invoice_lines_invoice_line_no",
                schema: "billing",
                table: "invoice_lines",
                columns: new[] { "invoice_id", "line_no" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_invoice_runs_started_at",
                schema: "billing",
                table: "invoice_runs",
                column: "started_at");

            migrationBuilder.CreateIndex(
                name: "ix_invoices_invoice_run_id",
                schema: "billing",
                table: "invoices",
                column: "invoice_run_id");

            migrationBuilder.CreateIndex(
                name: "ux_invoices_account_currency_period",
                schema: "billing",
                table: "invoices",
                columns: new[] { "account_id", "currency", "period_start" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ux_invoices_number",
                schema: "billing",
                table: "invoices",
                column: "number",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ux_operator_costs_key_valid_from",
                schema: "billing",
                table: "operator_costs",
                columns: new[] { "operator", "valid_from" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_unsent",
                schema: "billing",
                table: "outbox_messages",
                column: "created_at",
                filter: "sent_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_pricing_rules_operator",
                schema: "billing",
                table: "pricing_rules",
                column: "operator");

            migrationBuilder.CreateIndex(
                name: "ux_pricing_rules_key_valid_from",
                schema: "billing",
                table: "pricing_rules",
                columns: new[] { "tier", "operator", "currency", "valid_from" },
                unique: true);

            // Hand-written: what EF Core cannot express (see SchemaSql).
            migrationBuilder.Sql(SchemaSql.EnsurePartitionsFunction);
            migrationBuilder.Sql(SchemaSql.InitialPartitions);
            migrationBuilder.Sql(SchemaSql.ExclusionConstraints);
            migrationBuilder.Sql(SchemaSql.Roles);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // Hand-written: the rollback is destructive; refuse while any billing table holds data unless forced.
            migrationBuilder.Sql(SchemaSql.RollbackGuard);
            migrationBuilder.Sql(SchemaSql.DropEnsurePartitionsFunction);

            migrationBuilder.DropTable(
                name: "billing_event_ids",
                schema: "billing");

            migrationBuilder.DropTable(
                name: "billing_events",
                schema: "billing");

            migrationBuilder.DropTable(
                name: "dead_letters",
                schema: "billing");

            migrationBuilder.DropTable(
                name: "ingestion_start",
                schema: "billing");

            migrationBuilder.DropTable(
                name: "invoice_lines",
                schema: "billing");

            migrationBuilder.DropTable(
                name: "invoice_number_counters",
                schema: "billing");

            migrationBuilder.DropTable(
                name: "operator_costs",
                schema: "billing");

            migrationBuilder.DropTable(
                name: "outbox_messages",
                schema: "billing");

            migrationBuilder.DropTable(
                name: "pricing_rules",
                schema: "billing");

            migrationBuilder.DropTable(
                name: "usage_summaries",
                schema: "billing");

            migrationBuilder.DropTable(
                name: "invoices",
                schema: "billing");

            migrationBuilder.DropTable(
                name: "operators",
                schema: "billing");

            migrationBuilder.DropTable(
                name: "accounts",
                schema: "billing");

            migrationBuilder.DropTable(
                name: "invoice_runs",
                schema: "billing");

            migrationBuilder.DropTable(
                name: "account_tiers",
                schema: "billing");
        }
    }
}
