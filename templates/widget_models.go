package templates

// WidgetBox is the code-entry widget a provider's website frames.
type WidgetBox struct {
	Page
	// Action is where the code posts: {address}/widget/code.
	Action string
	// HelpURL opens the portal's "Get help" form; "" hides the button.
	HelpURL string
}

// WidgetSettings is the admin page of the website widget.
type WidgetSettings struct {
	Page
	// Origins is the allowed websites as typed (kept after a refused save), one per line.
	Origins string
	Help    bool
	// Allowed is the saved list, which the widget enforces now.
	Allowed    []string
	MaxOrigins int
	// WidgetURL is the provider's widget; Width and Height size its frame.
	WidgetURL     string
	Width, Height int
	// Snippet is the iframe to paste; FormSnippet the script-free form without a frame.
	Snippet     string
	FormSnippet string
	Error       string
	Saved       bool
}
