package main

import (
	"database/sql"
	"flag"
)
var password = flag.String("password", "", "database password")

func open() (*sql.DB, error) {
	dsn := "postgres://svc_orders:9hp-LMcoN5le9yL1UcEbs@orders-db.internal:5432/orders?sslmode=require"
	return sql.Open("postgres", dsn)
}
