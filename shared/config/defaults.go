package config

import "time"

// Defaults for settings left out of the file (CONTRACT.md, DESIGN.md).
const (
	DefaultMaxBodyBytes   = 10 << 20
	DefaultReadTimeout    = 15 * time.Second
	DefaultWriteTimeout   = 30 * time.Second
	DefaultIdleTimeout    = 120 * time.Second
	DefaultPersistTimeout = 5 * time.Second

	DefaultTenantRate  = 2000
	DefaultTenantBurst = 4000
	DefaultTolerance   = 5 * time.Minute

	DefaultReplicas   = 1
	DefaultRawMaxAge  = 30 * 24 * time.Hour
	DefaultDLQMaxAge  = 365 * 24 * time.Hour
	DefaultMaxDeliver = 100
	DefaultPartitions = 16
	DefaultInFlight   = 32

	DefaultAPIRate    = 10
	DefaultAPIBurst   = 10
	DefaultAPITimeout = 10 * time.Second

	DefaultReconcileInterval         = 5 * time.Minute
	DefaultReconcileIncidentInterval = time.Minute
	DefaultReconcileStaleAfter       = 24 * time.Hour
)

// ApplyDefaults fills every zero setting with its default. It is
// idempotent; Parse calls it before Validate. Tolerance is defaulted only
// for kinds that use it, so that Validate's "does not apply" check still
// catches it being written for other kinds.
func (f *File) ApplyDefaults() {
	f.Admin.applyDefaults()
	in := &f.Ingress
	setInt64(&in.MaxBodyBytes, DefaultMaxBodyBytes)
	setDuration(&in.ReadTimeout, DefaultReadTimeout)
	setDuration(&in.WriteTimeout, DefaultWriteTimeout)
	setDuration(&in.IdleTimeout, DefaultIdleTimeout)
	setDuration(&in.PersistTimeout, DefaultPersistTimeout)

	st := &f.Streams
	setInt(&st.Replicas, DefaultReplicas)
	setDuration(&st.RawMaxAge, DefaultRawMaxAge)
	setDuration(&st.DLQMaxAge, DefaultDLQMaxAge)
	setInt(&st.MaxDeliver, DefaultMaxDeliver)
	setInt(&st.Partitions, DefaultPartitions)
	setInt(&st.InFlight, DefaultInFlight)
	f.Retry.applyDefaults()

	for i := range f.Tenants {
		t := &f.Tenants[i]
		setFloat(&t.RateLimit.Rate, DefaultTenantRate)
		setInt(&t.RateLimit.Burst, DefaultTenantBurst)
		if t.Notify != nil {
			t.Notify.applyDefaults()
		}
		for j := range t.Providers {
			p := &t.Providers[j]
			if usesField(p.Kind, "tolerance") {
				setDuration(&p.Tolerance, DefaultTolerance)
			}
			if p.API != nil {
				setFloat(&p.API.Rate, DefaultAPIRate)
				setInt(&p.API.Burst, DefaultAPIBurst)
				setDuration(&p.API.Timeout, DefaultAPITimeout)
				if p.Reconcile == nil {
					p.Reconcile = &Reconcile{}
				}
				rc := p.Reconcile
				setDuration(&rc.Interval, DefaultReconcileInterval)
				setDuration(&rc.IncidentInterval, DefaultReconcileIncidentInterval)
				setDuration(&rc.StaleAfter, DefaultReconcileStaleAfter)
			}
		}
	}
}

func setInt(v *int, def int) {
	if *v == 0 {
		*v = def
	}
}

func setInt64(v *int64, def int64) {
	if *v == 0 {
		*v = def
	}
}

func setFloat(v *float64, def float64) {
	if *v == 0 {
		*v = def
	}
}

func setDuration(v *Duration, def time.Duration) {
	if *v == 0 {
		*v = Duration(def)
	}
}
