using System;
using Billing.Migrations.Schema;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Billing.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class InvoiceDocumentsAndAdjustments : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "invoice_id",
                schema: "billing",
                table: "outbox_messages",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "document",
                schema: "billing",
                table: "invoices",
                type: "jsonb",
                nullable: false,
                defaultValue: "{}");

            migrationBuilder.AddColumn<DateOnly>(
                name: "adjusted_period_start",
                schema: "billing",
                table: "invoice_lines",
                type: "date",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_invoice_id",
                schema: "billing",
                table: "outbox_messages",
                column: "invoice_id");

            migrationBuilder.AddCheckConstraint(
                name: "ck_invoice_lines_adjusted_period",
                schema: "billing",
                table: "invoice_lines",
                sql: "(kind = 'adjustment') = (adjusted_period_start IS NOT NULL)");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // Hand-written: every down-migration refuses while billing tables hold data unless forced.
            migrationBuilder.Sql(SchemaSql.RollbackGuard);

            migrationBuilder.DropIndex(
                name: "ix_outbox_messages_invoice_id",
                schema: "billing",
                table: "outbox_messages");

            migrationBuilder.DropCheckConstraint(
                name: "ck_invoice_lines_adjusted_period",
                schema: "billing",
                table: "invoice_lines");

            migrationBuilder.DropColumn(
                name: "invoice_id",
                schema: "billing",
                table: "outbox_messages");

            migrationBuilder.DropColumn(
                name: "document",
                schema: "billing",
                table: "invoices");

            migrationBuilder.DropColumn(
                name: "adjusted_period_start",
                schema: "billing",
                table: "invoice_lines");
        }
    }
}
