package connections

import (
	"sync"
	"time"
)

// The token endpoint's brake on guessing: after freeFailures failed
// authentications of one client id in a row, the client id is refused for
// firstLockout, doubling with each further failure up to maxLockout. A
// client id's count is forgotten failureMemory after its last failure.
const (
	freeFailures   = 5
	firstLockout   = time.Second
	maxLockout     = 5 * time.Minute
	failureMemory  = 15 * time.Minute
	maxFailureKeys = 10000
)

// failureLimiter counts failed client authentications per client id.
type failureLimiter struct {
	mu sync.Mutex
	m  map[string]*failures
}

type failures struct {
	n           int
	last        time.Time
	lockedUntil time.Time
}

// wait returns how long id is still refused at now; zero if it is not.
func (l *failureLimiter) wait(id string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if f := l.m[id]; f != nil && now.Before(f.lockedUntil) {
		return f.lockedUntil.Sub(now)
	}
	return 0
}

// fail records a failed authentication of id at now.
func (l *failureLimiter) fail(id string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*failures{}
	}
	f := l.m[id]
	if f != nil && now.Sub(f.last) > failureMemory {
		f = nil
	}
	if f == nil {
		if len(l.m) >= maxFailureKeys {
			l.prune(now)
			if len(l.m) >= maxFailureKeys {
				// Under a flood of distinct ids, the newest are not
				// counted; guessing a 240-bit secret stays hopeless.
				return
			}
		}
		f = &failures{}
		l.m[id] = f
	}
	f.n++
	f.last = now
	if f.n >= freeFailures {
		d := maxLockout
		if shift := f.n - freeFailures; shift < 20 {
			d = min(firstLockout<<shift, maxLockout)
		}
		f.lockedUntil = now.Add(d)
	}
}

// succeed forgets id's failures.
func (l *failureLimiter) succeed(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, id)
}

// prune forgets the counts of ids whose last failure is long past.
func (l *failureLimiter) prune(now time.Time) {
	for k, f := range l.m {
		if now.Sub(f.last) > failureMemory && !now.Before(f.lockedUntil) {
			delete(l.m, k)
		}
	}
}
