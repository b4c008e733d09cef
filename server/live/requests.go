package live

import (
	"context"
	"math"
	"time"

	"tether/server/hub"
	"tether/server/protocol"
	"tether/server/store"
)

// RequestStore is what customer-initiated requests need from the database.
type RequestStore interface {
	AcceptRequest(ctx context.Context, providerID, id, userID string) (store.Session, error)
	WaitingRequests(ctx context.Context, providerID string, deskIDs []string) ([]store.Session, error)
	RecentWaits(ctx context.Context, providerID, deskID string, since time.Time, n int) ([]time.Duration, error)
	TimeOutRequests(ctx context.Context, minute time.Duration) ([]store.Session, error)
}

// The estimate of a customer's wait comes from the desk's last estimateSample accepted requests of the
// last estimateWindow: the median time from request to Accept, times the customer's place in the queue,
// in whole minutes. Without such history the page says "a few minutes".
const (
	estimateSample = 20
	estimateWindow = 30 * 24 * time.Hour
)

// NewRequest tells the provider's consoles that a customer's request arrived, and every page waiting in
// its desk's queue its place.
func (s *Service) NewRequest(ctx context.Context, sess store.Session) {
	s.Notify(sess)
	s.toConsoles(sess.ProviderID, protocol.RequestUpdate{SessionID: sess.ID, Event: protocol.RequestNew})
	s.queueChanged(ctx, sess.ProviderID, sess.DeskID)
}

// Accept makes eng the engineer of a waiting request if nobody was first (store.AcceptRequest). The
// customer's page and agent learn who helps them, the other consoles that it was taken and by whom, and
// the requests behind it move up.
func (s *Service) Accept(ctx context.Context, providerID, id string, eng store.User) (store.Session, error) {
	sess, err := s.store.AcceptRequest(ctx, providerID, id, eng.ID)
	if err != nil {
		return sess, err
	}
	s.log.Info("request accepted", "session", sess.ID, "engineer", eng.ID)
	up := protocol.RequestUpdate{SessionID: sess.ID, Event: protocol.RequestAccepted, Engineer: eng.Name}
	s.sendSignal(sess.ID, hub.RolePage, protocol.SigRequest, up)
	s.sendSignal(sess.ID, hub.RoleAgent, protocol.SigRequest, up)
	s.toConsoles(sess.ProviderID, up)
	s.Notify(sess)
	s.queueChanged(ctx, sess.ProviderID, sess.DeskID)
	return sess, nil
}

// QueueOf is a waiting request's place in its desk's queue, as its page is told it; ok is false when
// the session waits for nobody (it has an engineer, or ended).
func (s *Service) QueueOf(ctx context.Context, sess store.Session) (up protocol.RequestUpdate, ok bool, err error) {
	if sess.EngineerID != "" || sess.State == store.StateEnded {
		return up, false, nil
	}
	q, est, err := s.deskQueue(ctx, sess.ProviderID, sess.DeskID)
	if err != nil {
		return up, false, err
	}
	for i, r := range q {
		if r.ID == sess.ID {
			return est(i, r), true, nil
		}
	}
	return up, false, nil
}

// deskQueue reads a desk's queue and returns it with the function that words each request's place.
func (s *Service) deskQueue(ctx context.Context, providerID, deskID string) ([]store.Session, func(int, store.Session) protocol.RequestUpdate, error) {
	q, err := s.store.WaitingRequests(ctx, providerID, []string{deskID})
	if err != nil || len(q) == 0 {
		return q, nil, err
	}
	p, err := s.store.ProviderByID(ctx, providerID)
	if err != nil {
		return nil, nil, err
	}
	// The window is read with this instance's clock: it only picks the history to estimate from.
	waits, err := s.store.RecentWaits(ctx, providerID, deskID, s.cfg.Now().Add(-estimateWindow), estimateSample)
	if err != nil {
		return nil, nil, err
	}
	median, known := store.MedianWait(waits)
	// The estimate never promises past the timeout, when the customer is told nobody is free.
	limit := time.Duration(p.RequestTimeoutMinutes) * time.Minute
	return q, func(i int, r store.Session) protocol.RequestUpdate {
		up := protocol.RequestUpdate{SessionID: r.ID, Event: protocol.RequestQueued, Position: i + 1, Waiting: len(q)}
		if known {
			up.EstimateMinutes = max(1, int(math.Ceil(min(median*time.Duration(i+1), limit).Minutes())))
		}
		return up
	}, nil
}

// queueChanged tells every page waiting in a desk's queue its place: after a request arrived, was
// accepted or ended.
func (s *Service) queueChanged(ctx context.Context, providerID, deskID string) {
	q, est, err := s.deskQueue(ctx, providerID, deskID)
	if err != nil {
		s.log.Error("read desk queue", "desk", deskID, "err", err)
		return
	}
	for i, r := range q {
		s.sendSignal(r.ID, hub.RolePage, protocol.SigRequest, est(i, r))
	}
}

// toConsoles sends a request update to every console of the provider; each re-reads the queue it may
// see (its desks), so an update names only the session.
func (s *Service) toConsoles(providerID string, up protocol.RequestUpdate) {
	b, err := protocol.EncodeSignal(protocol.SigRequest, up)
	if err != nil {
		s.log.Error("encode request update", "err", err)
		return
	}
	s.hub.Send(providerID, hub.RoleConsole, hub.Message{Data: b})
}

// requestEnded follows a request that ended before anyone accepted it: the consoles drop it and the
// requests behind it move up.
func (s *Service) requestEnded(sess store.Session) {
	if sess.EngineerID != "" {
		return
	}
	s.toConsoles(sess.ProviderID, protocol.RequestUpdate{SessionID: sess.ID, Event: protocol.RequestEnded})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.queueChanged(ctx, sess.ProviderID, sess.DeskID)
}

// sweepRequests ends the requests nobody accepted within their provider's request timeout: the
// customer's page says nobody is free, and the agent, if it runs, ends.
func (s *Service) sweepRequests(ctx context.Context) error {
	ended, err := s.store.TimeOutRequests(ctx, s.cfg.Minute)
	for _, sess := range ended {
		s.log.Info("request ended: nobody was free", "session", sess.ID, "desk", sess.DeskID)
		s.closeEnded(sess)
	}
	return err
}
