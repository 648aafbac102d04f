package scim

import "github.com/prometheus/client_golang/prometheus"

// Metrics receives what the SCIM handler counts.
type Metrics interface {
	// Request counts a SCIM request by operation (user_create, user_patch, discovery …) and outcome
	// (ok, unauthorized, bad_request, not_found, conflict, rate_limited, upstream_error).
	Request(operation, outcome string)
	// Deprovisioned counts a user whose access SCIM ended, by mode (delete or suspend).
	Deprovisioned(mode string)
}

type nopMetrics struct{}

func (nopMetrics) Request(string, string) {}
func (nopMetrics) Deprovisioned(string)   {}

// PrometheusMetrics registers gateway_scim_requests_total{operation,outcome} and
// gateway_scim_users_deprovisioned_total{mode} with reg.
func PrometheusMetrics(reg prometheus.Registerer) (Metrics, error) {
	m := &promMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gateway", Name: "scim_requests_total",
			Help: "SCIM requests by operation and outcome.",
		}, []string{"operation", "outcome"}),
		deprovisioned: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gateway", Name: "scim_users_deprovisioned_total",
			Help: "Talkio users whose access a SCIM push ended, by mode (delete, suspend).",
		}, []string{"mode"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.deprovisioned} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

type promMetrics struct {
	requests, deprovisioned *prometheus.CounterVec
}

func (m *promMetrics) Request(operation, outcome string) {
	m.requests.WithLabelValues(operation, outcome).Inc()
}
func (m *promMetrics) Deprovisioned(mode string) { m.deprovisioned.WithLabelValues(mode).Inc() }
