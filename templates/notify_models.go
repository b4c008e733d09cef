package templates

// NotifyPanel is the console's "Notifications" menu: per kind, whether the engineer wants a desktop
// notification and a sound. The choices are the user's, saved on the server; the browser's permission
// to notify is asked for separately, per browser, on a click.
type NotifyPanel struct {
	Kinds []NotifyKind
	// Sounds are the URLs of the sounds: a request arriving, a customer joining, and leaving (also
	// played when someone else takes a request).
	SoundRequest, SoundJoined, SoundLeft string
	CSRF                                 string
}

// NotifyKind is one row of the panel.
type NotifyKind struct {
	Kind    string // protocol.NotifyKinds
	Desktop bool
	Sound   bool
}

// notifyLabel is the message id naming a kind in the panel.
func notifyLabel(kind string) string { return "notify_kind_" + kind }
