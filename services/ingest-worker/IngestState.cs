using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Billing.IngestWorker;

/// <summary>What the health checks report: the loop comes round (live) and its dependencies answer (ready).</summary>
public sealed class IngestState(TimeProvider time, IOptions<IngestOptions> options)
{
    private long _lastLoopTimestamp = time.GetTimestamp();
    private volatile bool _consumerReady;
    private volatile bool _databaseFailing;

    public void Heartbeat() => Interlocked.Exchange(ref _lastLoopTimestamp, time.GetTimestamp());

    public void ReportConsumerReady() => _consumerReady = true;

    public void ReportWriteFailed() => _databaseFailing = true;

    public void ReportWriteSucceeded() => _databaseFailing = false;

    public HealthCheckResult Liveness()
    {
        if (!options.Value.ConsumerEnabled)
        {
            return HealthCheckResult.Healthy("consumer disabled (BILLING_CONSUMER_ENABLED=false)");
        }
        var idle = time.GetElapsedTime(Interlocked.Read(ref _lastLoopTimestamp));
        return idle < options.Value.LivenessTimeout
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"the ingest loop has not come round for {idle.TotalSeconds:F0} s");
    }

    public HealthCheckResult Readiness() =>
        !options.Value.ConsumerEnabled ? HealthCheckResult.Healthy("consumer disabled (BILLING_CONSUMER_ENABLED=false)")
        : !_consumerReady ? HealthCheckResult.Unhealthy("not yet bound to the JetStream consumer with the rating catalog loaded")
        : _databaseFailing ? HealthCheckResult.Unhealthy("the last batch could not be written to the database")
        : HealthCheckResult.Healthy();
}
