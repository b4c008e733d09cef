package consent

import "slices"

// scopeDecision checks the customer's choice of what to share against the
// windows the page listed: an id the page did not show is refused.
func scopeDecision(req decideRequest, st Status) (Decision, bool) {
	if req.Action == "windows" {
		return Decision{Windows: true}, true
	}
	if req.Scope == nil || len(req.Scope.Hidden) > len(st.Windows) {
		return Decision{}, false
	}
	listed := func(id uint64) bool {
		return slices.ContainsFunc(st.Windows, func(w Window) bool { return w.ID == id })
	}
	if req.Scope.Window != 0 && !listed(req.Scope.Window) {
		return Decision{}, false
	}
	for _, id := range req.Scope.Hidden {
		if !listed(id) {
			return Decision{}, false
		}
	}
	sc := Sharing{Window: req.Scope.Window, Hidden: slices.Clone(req.Scope.Hidden)}
	return Decision{Scope: &sc}, true
}
