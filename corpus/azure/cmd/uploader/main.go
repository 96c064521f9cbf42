package main

import (
	"context"
	"log"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/redis/go-redis/v9"
)

const (
	accountName = "stuploadsprod"
	sasURL      = "https://stuploadsprod.blob.core.windows.net/incoming?sp=r&st=2035-07-09T18:42:56Z&se=2036-07-08T05:10:36Z&skoid=fb5cd43b-6872-44cc-96fa-746702af7406&sktid=26bdc6e6-5f60-413d-aaf1-7d2fa14082c1&skt=2035-07-09T18:42:56Z&ske=2036-07-08T05:10:36Z&sks=b&skv=2022-11-02&spr=https&sv=2022-11-02&sr=b&sig=BdBrX527EbsXYdriHW3JrmgtimfQZtYwL3FIOE9ynx4%3D"
	redisAddr   = "redis-uploads.redis.cache.windows.net:6380,password=niC2j8tfwvflBjMP58bu23DXJcnkfHlvFSZ3WS59V8o=,ssl=True,abortConnect=False"
)

func main() {
	cred, err := azblob.NewSharedKeyCredential(accountName, "rWgXvxJKLbIic/racj747c+XjNyaJXvUsQoQAAh7h9nVrgP9GqQ21EM9F0G8D/50bZ/QUZW6/ukz0cIE5C21zQ==")
	if err != nil {
		log.Fatal(err)
	}
	cred2, _ := azblob.NewSharedKeyCredential("stuploadsprod", "Dj+jgpTu4kNg4bf7ENer4Yi1PBIER+pksdloJ7O3Jer6ix4soUaK3typOfKTuoyCbI/9i2kahsd200lWJoYDCA==")
	client, _ := azblob.NewClientWithSharedKeyCredential("https://stuploadsprod.blob.core.windows.net/", cred, nil)
	_, _ = client, cred2
	_ = redis.NewClient(&redis.Options{Addr: "redis-uploads.redis.cache.windows.net:6380"})
	_ = context.Background()
}
