package selfremove

import "testing"

func TestDeleteCommand(t *testing.T) {
	got := deleteCommand(`C:\Users\Ann Lee\Downloads\tether-agent.exe`)
	want := `cmd.exe /d /q /c "for /l %i in (1,1,120) do (ping -n 2 127.0.0.1 >nul & del /f /q "C:\Users\Ann Lee\Downloads\tether-agent.exe" 2>nul & if not exist "C:\Users\Ann Lee\Downloads\tether-agent.exe" exit /b 0)"`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
