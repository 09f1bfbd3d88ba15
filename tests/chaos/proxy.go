package chaos

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"time"
)

// Balancer is a round-robin HTTP load balancer in front of the ingress
// replicas, as a provider meets them in production: a request that hits a
// replica being killed gets 502, and the provider redelivers. It does not
// retry by itself, so that the suite exercises the providers' retries.
type Balancer struct {
	backends []*url.URL
	next     atomic.Uint64
	proxy    *httputil.ReverseProxy
}

// NewBalancer returns a balancer over backends (http://host:port).
func NewBalancer(backends ...string) (*Balancer, error) {
	b := &Balancer{}
	for _, s := range backends {
		u, err := url.Parse(s)
		if err != nil {
			return nil, err
		}
		b.backends = append(b.backends, u)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: 2 * time.Second}).DialContext
	tr.MaxIdleConnsPerHost = 32
	b.proxy = &httputil.ReverseProxy{
		Transport: tr,
		Rewrite: func(r *httputil.ProxyRequest) {
			u := b.backends[b.next.Add(1)%uint64(len(b.backends))]
			r.SetURL(u)
			r.Out.Host = r.In.Host
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	return b, nil
}

// ServeHTTP forwards r to the next backend.
func (b *Balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) { b.proxy.ServeHTTP(w, r) }
