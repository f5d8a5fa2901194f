using Billing.Core.Data;
using Billing.Core.Domain;
using Billing.Core.Rating;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Billing.IngestWorker;

/// <summary>
/// The rating catalog the worker rates with, held in memory and swapped whole when reference data changes: on every
/// <c>billing_reference_data</c> notification (sent by <c>billing-ops import</c> when it commits a change) and at least
/// every <see cref="IngestOptions.CatalogRefreshInterval"/>, in case a notification was missed.
/// </summary>
public sealed partial class RatingCatalogCache(
    IDbContextFactory<BillingDbContext> dbFactory,
    NpgsqlDataSource dataSource,
    IOptions<IngestOptions> options,
    IngestMetrics metrics,
    TimeProvider time,
    ILogger<RatingCatalogCache> logger) : BackgroundService
{
    public const string Channel = "billing_reference_data";

    private readonly TaskCompletionSource _firstLoad = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile RatingCatalog? _current;

    /// <summary>The current catalog; waits for the first load.</summary>
    public async ValueTask<RatingCatalog> GetAsync(CancellationToken cancellationToken)
    {
        if (_current is { } current)
        {
            return current;
        }
        await _firstLoad.Task.WaitAsync(cancellationToken);
        return _current!;
    }

    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var catalog = await RatingCatalogLoader.LoadAsync(db, cancellationToken);
        _current = catalog;
        _firstLoad.TrySetResult();
        metrics.CatalogRules.Set(catalog.RuleCount);
        LogCatalogLoaded(catalog.RuleCount, catalog.CostCount, catalog.AccountCount);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.ConsumerEnabled)
        {
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                // Load after LISTEN, so a change committed in between is not missed.
                await RefreshAsync(stoppingToken);
                while (!stoppingToken.IsCancellationRequested)
                {
                    var notified = await connection.WaitAsync(options.Value.CatalogRefreshInterval, stoppingToken);
                    if (notified)
                    {
                        LogReferenceDataChanged();
                    }
                    await RefreshAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                LogCatalogUnavailable(e);
                await Task.Delay(TimeSpan.FromSeconds(5), time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Rating catalog loaded: {Rules} pricing rules, {Costs} operator costs, {Accounts} accounts")]
    private partial void LogCatalogLoaded(int rules, int costs, int accounts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reference data changed; reloading the rating catalog")]
    private partial void LogReferenceDataChanged();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot load or watch reference data; retrying in 5 s")]
    private partial void LogCatalogUnavailable(Exception exception);
}
