package templates

// Tour is the console's first-sign-in tour (tour.templ, static/js/tour.js).
type Tour struct {
	// Start shows the tour by itself: the user has not finished or dismissed it yet.
	Start bool
	// Admin adds the step about settings, which only owners and admins have.
	Admin bool
	// DismissURL is where the script records that the tour was finished or dismissed.
	DismissURL string
}
