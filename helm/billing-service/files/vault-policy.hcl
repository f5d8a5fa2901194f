# billing-service reads its secrets under secret/billing/ (KV version 2) and nothing else (seed section 2).
path "secret/data/billing/*" {
  capabilities = ["read"]
}

path "secret/metadata/billing/*" {
  capabilities = ["list", "read"]
}
