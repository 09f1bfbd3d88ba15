// Command natsnode runs one embedded nats-server with JetStream as a member
// of a cluster, in its own OS process, so that the chaos suite can kill -9
// a node and start it again on the same store, the way a machine of a real
// 3-node cluster dies and comes back.
//
//	natsnode -name n1 -listen 127.0.0.1:4222 -cluster-listen 127.0.0.1:6222 \
//	    -routes nats-route://127.0.0.1:6223,nats-route://127.0.0.1:6224 -store /var/lib/n1
//
// It prints "ready <client URL>" once the server accepts clients and runs
// until SIGINT or SIGTERM.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/countersign/countersign/shared/natsserver"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "natsnode:", err)
		os.Exit(1)
	}
}

func run() error {
	var o natsserver.Options
	var routes string
	flag.StringVar(&o.ServerName, "name", "", "server name (distinct per cluster member)")
	flag.StringVar(&o.Listen, "listen", "127.0.0.1:4222", "client listen host:port")
	flag.StringVar(&o.ClusterName, "cluster", "countersign", "cluster name")
	flag.StringVar(&o.ClusterListen, "cluster-listen", "", "route listen host:port (empty: no cluster)")
	flag.StringVar(&routes, "routes", "", "other members' route URLs, comma separated")
	flag.StringVar(&o.StoreDir, "store", "", "JetStream store directory")
	flag.DurationVar(&o.ReadyTimeout, "ready-timeout", 30*time.Second, "wait for the server to accept clients")
	flag.Parse()
	if o.ServerName == "" || o.StoreDir == "" {
		return fmt.Errorf("-name and -store are required")
	}
	if routes != "" {
		o.Routes = strings.Split(routes, ",")
	}
	srv, err := natsserver.Start(o)
	if err != nil {
		return err
	}
	fmt.Println("ready", srv.ClientURL())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	srv.Shutdown()
	srv.WaitForShutdown()
	return nil
}
