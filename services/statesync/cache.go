package statesync

import (
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/countersign/countersign/shared/envelope"
)

// cacheSize bounds the records kept: enough for the envelopes in flight
// on every partition this process owns, a few MB.
const cacheSize = 4096

// recordCache keeps the records this process wrote last, with their
// revision and the last of their entries it saw acknowledged on
// ENVELOPES. A partition's owner applies an envelope's events one after
// the other, so the next event of a recently written envelope needs
// neither a record read nor a look at the ledger to settle the outbox.
// It can only save reads, never decide anything: the write is still a
// compare-and-set on the cached revision, and a record someone else
// changed meanwhile fails it, drops the entry and is read afresh.
type recordCache struct {
	lru *lru.Cache[string, cached]
}

// cached is one record as this process last wrote it.
type cached struct {
	rec envelope.Record
	rev uint64
	// published is the highest entry seq acknowledged on ENVELOPES.
	published uint64
}

func newRecordCache() *recordCache {
	c, err := lru.New[string, cached](cacheSize)
	if err != nil {
		panic(err) // only for a size below 1
	}
	return &recordCache{lru: c}
}

func (c *recordCache) get(key string) (cached, bool) { return c.lru.Get(key) }
func (c *recordCache) put(key string, v cached)      { c.lru.Add(key, v) }
func (c *recordCache) drop(key string)               { c.lru.Remove(key) }
