namespace Billing.Core.Domain;

/// <summary>What rating needs to know about a customer account.</summary>
/// <param name="AccountId">The id events carry in <c>accountId</c>.</param>
/// <param name="Tier">The account's tier code, which selects its pricing rules.</param>
/// <param name="Currency">ISO 4217 code the account is billed in.</param>
public sealed record RatedAccount(string AccountId, string Tier, string Currency);
