package selfremove

import "testing"

func TestDeleteCommand(t *testing.T) {
	got := deleteCommand(`C:\Users\Ann Lee\Downloads\tether-agent.exe`)
	want := `cmd.exe /d /c "ping -n 3 127.0.0.1 >nul & del /f /q "C:\Users\Ann Lee\Downloads\tether-agent.exe""`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
