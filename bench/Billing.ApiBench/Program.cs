using Billing.ApiBench;

return await ApiBenchmark.RunAsync(args);
