# D12: region and account come from the environment's contract.tfvars.json; a run against any other account stops
# before it changes anything. The `dr` provider is the region of the replicas and the backup copy
# (D13); without one (dev, sit) it points at the primary region and nothing is created through it.

provider "aws" {
  region              = var.region
  allowed_account_ids = [var.account]
}

provider "aws" {
  alias               = "dr"
  region              = coalesce(var.dr_region, var.region)
  allowed_account_ids = [var.account]
}
