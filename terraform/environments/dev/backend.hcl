# D16: dev's own state object, locked with its DynamoDB table. The bucket and the lock table live in
# the dev account and must exist before init:
#   terraform -chdir=terraform/stack init -reconfigure -backend-config=../environments/dev/backend.hcl
bucket         = "bbws-terraform-state-dev"
key            = "2_1_bbws_dynamodb_schemas/terraform.tfstate"
region         = "eu-west-1"
dynamodb_table = "terraform-state-lock-dev"
encrypt        = true
