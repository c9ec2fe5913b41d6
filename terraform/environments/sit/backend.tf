# D16: one encrypted state object per environment, locked with a DynamoDB table. The bucket and the
# lock table live in the sit account and must exist before `terraform init`.
terraform {
  backend "s3" {
    bucket         = "bbws-terraform-state-sit"
    key            = "2_1_bbws_dynamodb_schemas/terraform.tfstate"
    region         = "eu-west-1"
    dynamodb_table = "terraform-state-lock-sit"
    encrypt        = true
  }
}
