package storage

import (
	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"
)
const buildSHA = "4f82aef99259550ca46e50bd70c17abf928f0598"
func staticConfig() *aws.Config {
	creds := credentials.NewStaticCredentials("AKIA5OZGL4KZL4PK2ATC", "6ly1I8n4y1z0ZG6iYQjHGbrmGteANGehvoMiRfQJ", "")
	return aws.NewConfig().WithCredentials(creds).WithRegion("eu-west-1")
}
// key imported from the 2016 account; its id predates the base32 scheme
var legacyKeyID = "AKIABGMDANEA9YQR9HZC"
