// Package chaos is countersign's chaos suite: the provider sandbox drives
// hundreds of envelopes through a load balancer into the standalone
// services — two ingress, two verifier and two statesync replicas and an
// admin, each a real OS process — on a 3-node NATS cluster (natsnode
// processes on loopback, R3 streams) with a real redis-server, while a
// Monkey kill -9s random service processes and starts them again, restarts
// Redis, and kills a NATS node and brings it back on its store.
//
// Then it checks what countersign promises: every envelope whose callbacks
// were all acknowledged ends in the sandbox's truth; every event accepted
// into RAW is in its envelope's ledger exactly once (lost = 0,
// duplicated = 0); every chain verifies; the DLQ holds only the poison
// message the suite planted. The figures go to a results file and the test
// log.
//
// `go test ./tests/chaos/` runs a modest size (Modest, about a minute);
// `go tool task test:chaos` runs the full one (Full, 500 envelopes). The
// environment variables COUNTERSIGN_CHAOS_ENVELOPES, COUNTERSIGN_CHAOS_OUT
// and COUNTERSIGN_CHAOS_LOGS choose the size, the results file and a
// directory that keeps the processes' logs.
package chaos
