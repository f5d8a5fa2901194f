using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Npgsql;

namespace Billing.InvoiceWorker.Invoicing;

/// <summary>
/// Sends committed outbox rows to JetStream with <c>Nats-Msg-Id</c> = the row's message id (the invoice id), and marks
/// them sent. A row whose invoice PDF is not stored yet waits. A crash between a publish and its marking re-sends the
/// message on the next run; the invoices stream's duplicate window drops that copy.
/// </summary>
public sealed partial class OutboxPublisher(NpgsqlDataSource dataSource, NatsConnection nats, TimeProvider time, ILogger<OutboxPublisher> logger)
{
    private const int BatchSize = 500;

    /// <returns>How many rows were sent.</returns>
    public async Task<int> PublishPendingAsync(CancellationToken cancellationToken)
    {
        var js = new NatsJSContext(nats);
        var sent = 0;
        while (true)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var rows = new List<(Guid Id, string Subject, string MessageId, byte[] Payload)>();
            await using (var select = new NpgsqlCommand($"""
                SELECT o.id, o.subject, o.message_id, convert_to(o.payload::text, 'UTF8')
                FROM billing.outbox_messages o
                LEFT JOIN billing.invoices i ON i.id = o.invoice_id
                WHERE o.sent_at IS NULL AND (o.invoice_id IS NULL OR i.status = 'stored')
                ORDER BY o.created_at
                LIMIT {BatchSize}
                FOR UPDATE OF o SKIP LOCKED
                """, connection, transaction))
            await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    rows.Add((reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<byte[]>(3)));
                }
            }
            if (rows.Count == 0)
            {
                return sent;
            }

            var acks = await Task.WhenAll(rows.Select(async row =>
            {
                try
                {
                    var ack = await js.PublishAsync(row.Subject, row.Payload, opts: new NatsJSPubOpts { MsgId = row.MessageId }, cancellationToken: cancellationToken);
                    return (row.Id, Error: ack.Error is { } e ? $"{e.Code} {e.Description}" : null);
                }
                catch (NatsException e)
                {
                    return (row.Id, Error: e.Message);
                }
            }));

            var now = time.GetUtcNow();
            var published = acks.Where(a => a.Error is null).Select(a => a.Id).ToArray();
            await using (var mark = new NpgsqlCommand(
                "UPDATE billing.outbox_messages SET sent_at = @now, attempts = attempts + 1, last_error = NULL WHERE id = ANY(@ids)",
                connection, transaction))
            {
                mark.Parameters.AddWithValue("now", now);
                mark.Parameters.AddWithValue("ids", published);
                await mark.ExecuteNonQueryAsync(cancellationToken);
            }
            foreach (var (id, error) in acks.Where(a => a.Error is not null))
            {
                await using var fail = new NpgsqlCommand(
                    "UPDATE billing.outbox_messages SET attempts = attempts + 1, last_error = @error WHERE id = @id", connection, transaction);
                fail.Parameters.AddWithValue("error", error!);
                fail.Parameters.AddWithValue("id", id);
                await fail.ExecuteNonQueryAsync(cancellationToken);
                LogPublishFailed(id, error!);
            }
            await transaction.CommitAsync(cancellationToken);
            sent += published.Length;
            if (published.Length < rows.Count)
            {
                // NATS refuses: leave the rest for the next run rather than spin.
                return sent;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not publish outbox message {OutboxId}: {Error}; it stays in the outbox for the next run")]
    private partial void LogPublishFailed(Guid outboxId, string error);
}
