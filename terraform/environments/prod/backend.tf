# D16: one encrypted state object per environment, locked with a DynamoDB table. The bucket and the
# lock table live in the prod account and must exist before `terraform init`.
terraform {
  backend "s3" {
    bucket         = "bbws-terraform-state-prod"
    key            = "2_1_bbws_dynamodb_schemas/terraform.tfstate"
    region         = "af-south-1"
    dynamodb_table = "terraform-state-lock-prod"
    encrypt        = true
  }
}
