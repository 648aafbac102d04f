package cli

import (
	"context"
	"sync"
)

// inParallel calls do(i) for each i in [0, n) on at most workers goroutines and waits for them. Once
// ctx is done it hands out no more indexes; it returns how many it handed out (the rest never ran).
// do must bound its own work by ctx and guard whatever it shares.
func inParallel(ctx context.Context, n, workers int, do func(i int)) (sent int) {
	var wg sync.WaitGroup
	work := make(chan int)
	for range min(workers, n) {
		wg.Go(func() {
			for i := range work {
				do(i)
			}
		})
	}
feed:
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		select {
		case work <- i:
			sent++
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	return sent
}
