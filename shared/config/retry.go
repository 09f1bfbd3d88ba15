package config

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Retry defaults: a schedule spanning well over an hour, so that an
// outage of a dependency (Redis, a provider's API) ends by itself instead
// of dead-lettering what was in flight.
var DefaultRetrySchedule = []Duration{
	Duration(2 * time.Second), Duration(15 * time.Second), Duration(time.Minute),
	Duration(5 * time.Minute), Duration(15 * time.Minute), Duration(30 * time.Minute),
	Duration(time.Hour),
}

const (
	// DefaultRetryBudget is how old a message must be before a transient
	// error may dead-letter it.
	DefaultRetryBudget = 2 * time.Hour
	// DefaultRedriveInterval is how often transient dead letters are
	// re-driven.
	DefaultRedriveInterval = 5 * time.Minute
)

// Retry is the transient-error policy of the workers: redelivery delays
// by attempt, and a budget in time (not in deliveries) before a transient
// error dead-letters a message.
type Retry struct {
	RetryPolicy `yaml:",inline"`
	// Consumers overrides the policy per consumer ("verifier",
	// "statesync"); a field left out takes the policy above.
	Consumers map[string]RetryPolicy `yaml:"consumers"`
	// RedriveInterval is how often dead letters of class transient are
	// re-driven to their subject (default 5m).
	RedriveInterval Duration `yaml:"redrive_interval"`
	// DependencyProbe is how often a worker paused on a dependency outage
	// checks whether it is back (default 5s).
	DependencyProbe Duration `yaml:"dependency_probe"`
}

// RetryPolicy is one consumer's transient-error policy.
type RetryPolicy struct {
	// Schedule is the redelivery delay after the 1st, 2nd, … transient
	// failure (the last repeats), each jittered down by up to half.
	Schedule []Duration `yaml:"schedule"`
	// Budget: a transient failure dead-letters a message only once it is
	// older than this and has had every step of Schedule.
	Budget Duration `yaml:"budget"`
}

// For returns the policy of consumer: its override, completed by the
// general policy.
func (r Retry) For(consumer string) RetryPolicy {
	p := r.RetryPolicy
	if o, ok := r.Consumers[consumer]; ok {
		if len(o.Schedule) > 0 {
			p.Schedule = o.Schedule
		}
		if o.Budget > 0 {
			p.Budget = o.Budget
		}
	}
	return p
}

// Durations returns the schedule as time.Durations.
func (p RetryPolicy) Durations() []time.Duration {
	out := make([]time.Duration, len(p.Schedule))
	for i, d := range p.Schedule {
		out[i] = d.D()
	}
	return out
}

func (r *Retry) applyDefaults() {
	if len(r.Schedule) == 0 {
		r.Schedule = append([]Duration(nil), DefaultRetrySchedule...)
	}
	setDuration(&r.Budget, DefaultRetryBudget)
	setDuration(&r.RedriveInterval, DefaultRedriveInterval)
	setDuration(&r.DependencyProbe, 5*time.Second)
}

// retryConsumers are the consumers retry.consumers may tune.
var retryConsumers = []string{"verifier", "statesync", "notifier", "notifier-jobs"}

func (v *validator) retry(r *Retry) {
	v.retryPolicy("retry", r.RetryPolicy)
	for name, p := range r.Consumers {
		if !slices.Contains(retryConsumers, name) {
			v.add("retry.consumers."+name, "unknown consumer (want one of %s)", strings.Join(retryConsumers, ", "))
		}
		v.retryPolicy("retry.consumers."+name, p)
	}
	if r.RedriveInterval <= 0 {
		v.add("retry.redrive_interval", "must be positive")
	}
	if r.DependencyProbe <= 0 {
		v.add("retry.dependency_probe", "must be positive")
	}
}

func (v *validator) retryPolicy(path string, p RetryPolicy) {
	for i, d := range p.Schedule {
		if d <= 0 {
			v.add(fmt.Sprintf("%s.schedule[%d]", path, i), "must be positive")
		}
	}
	v.nonNegative(path+".budget", float64(p.Budget))
}
