package web

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"debug/pe"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/tc-hib/winres"

	"tether/server/protocol"
	"tether/server/store"
)

// brandedStore gives every provider the brand set by brand: the branding
// page that saves it is another part's; here it is the provider as that
// page would leave it.
type brandedStore struct {
	Store
	brand func(*store.Brand)
}

func (b brandedStore) ProviderByID(ctx context.Context, id string) (store.Provider, error) {
	p, err := b.Store.ProviderByID(ctx, id)
	if err == nil {
		b.brand(&p.Brand)
	}
	return p, err
}

func (b brandedStore) ProviderBySlug(ctx context.Context, slug string) (store.Provider, error) {
	p, err := b.Store.ProviderBySlug(ctx, slug)
	if err == nil {
		b.brand(&p.Brand)
	}
	return p, err
}

var (
	windowsAgentOnce sync.Once
	windowsAgent     []byte
	windowsAgentErr  error
)

// genericWindowsAgent builds the real Windows agent once, as the build
// task does, so the icon is patched into the program customers get.
func genericWindowsAgent(t *testing.T) []byte {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the Windows agent")
	}
	windowsAgentOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tether-web-agent")
		if err != nil {
			windowsAgentErr = err
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "agent.exe")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, "../../agent")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=windows", "GOARCH=amd64")
		if b, err := cmd.CombinedOutput(); err != nil {
			windowsAgentErr = err
			t.Log(string(b))
			return
		}
		windowsAgent, windowsAgentErr = os.ReadFile(out)
	})
	if windowsAgentErr != nil {
		t.Fatal(windowsAgentErr)
	}
	return windowsAgent
}

// testICO is a real .ico of two sizes in one colour.
func testICO(t *testing.T, c color.NRGBA) []byte {
	t.Helper()
	var imgs []image.Image
	for _, side := range []int{16, 32, 48} {
		img := image.NewNRGBA(image.Rect(0, 0, side, side))
		for y := range side {
			for x := range side {
				img.SetNRGBA(x, y, c)
			}
		}
		img.SetNRGBA(0, 0, color.NRGBA{0, 0, 0, 255})
		imgs = append(imgs, img)
	}
	icon, err := winres.NewIconFromImages(imgs)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := icon.SaveICO(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// noisePNG is a w×h PNG that does not compress.
func noisePNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	_, _ = rand.Read(img.Pix)
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func download(t *testing.T, h *harness, path string) []byte {
	t.Helper()
	resp, err := http.Get(h.ts.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return b
}

// settingsOf checks the download's key slot holds the server's key and
// returns the settings signed with it.
func settingsOf(t *testing.T, bin []byte) protocol.AgentSettings {
	t.Helper()
	_, key, err := protocol.FindKeySlot(bytes.NewReader(bin), int64(len(bin)))
	if err != nil || !bytes.Equal(key, agentSigningKey.Public().(ed25519.PublicKey)) {
		t.Fatalf("key slot %x, %v", key, err)
	}
	set, err := protocol.ReadSettings(bytes.NewReader(bin), int64(len(bin)), key)
	if err != nil {
		t.Fatalf("settings: %v", err)
	}
	return set
}

// TestAgentDownloadCarriesBrand: the settings of a download carry the
// provider's colours, contact line and logo, the logo scaled down when it
// is too large for them.
func TestAgentDownloadCarriesBrand(t *testing.T) {
	brand := store.Brand{PrimaryColor: "#0a7d5a", AccentColor: "#ffb000", Contact: "+1 555 0100 · help@acme.example", LogoKey: "brand/acme/logo-1.png"}
	h := newHarnessWith(t, nil, func(d *Deps) {
		d.Store = brandedStore{Store: d.Store, brand: func(b *store.Brand) { *b = brand }}
	})
	big := noisePNG(t, 512, 256) // 512 KiB: ten times what the settings carry
	if _, err := h.srv.Blobs.Put(context.Background(), brand.LogoKey, bytes.NewReader(big)); err != nil {
		t.Fatal(err)
	}
	eng := h.signedUp("Acme", "erin@acme.test")
	_, token := h.newSession(eng, "Maria")
	set := settingsOf(t, download(t, h, "/i/"+token+"/agent/linux-amd64"))
	b := set.Brand
	if b.Primary != "#0a7d5a" || b.Accent != "#ffb000" || b.Contact != brand.Contact {
		t.Fatalf("brand %+v", b)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b.Logo))
	if err != nil || len(b.Logo) > protocol.MaxAgentLogo || cfg.Width*256 != cfg.Height*512 || cfg.Width < 64 {
		t.Fatalf("logo %d bytes %dx%d, %v", len(b.Logo), cfg.Width, cfg.Height, err)
	}
	t.Logf("a %d-byte 512x256 logo travels as %dx%d in %d bytes", len(big), cfg.Width, cfg.Height, len(b.Logo))

	// A logo that fits travels byte for byte; a rewritten blob under the
	// same key is not served from the cache.
	small := noisePNG(t, 40, 20)
	if _, err := h.srv.Blobs.Put(context.Background(), brand.LogoKey, bytes.NewReader(small)); err != nil {
		t.Fatal(err)
	}
	_, token = h.newSession(eng, "Maria")
	if got := settingsOf(t, download(t, h, "/i/"+token+"/agent/linux-amd64")).Brand.Logo; !bytes.Equal(got, small) {
		t.Fatalf("small logo changed: %d bytes, want %d", len(got), len(small))
	}

	// A missing logo or a colour the settings cannot carry is left out;
	// the download still works.
	brand = store.Brand{PrimaryColor: "blue", Contact: "call\nus", LogoKey: "brand/acme/gone.png"}
	_, token = h.newSession(eng, "Maria")
	if got := settingsOf(t, download(t, h, "/i/"+token+"/agent/linux-amd64")).Brand; got.Logo != nil || got.Primary != "" || got.Contact != "call us" {
		t.Fatalf("brand %+v", got)
	}
	if !bytes.Contains([]byte(h.logs.String()), []byte("logo left out")) {
		t.Error("a missing logo is not logged")
	}
}

func TestFitLogo(t *testing.T) {
	var j bytes.Buffer
	if err := jpeg.Encode(&j, image.NewRGBA(image.Rect(0, 0, 300, 100)), nil); err != nil {
		t.Fatal(err)
	}
	out, err := fitLogo(j.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if cfg, format, err := image.DecodeConfig(bytes.NewReader(out)); err != nil || format != "png" || cfg.Width != 300 || cfg.Height != 100 {
		t.Fatalf("jpeg logo: %s %dx%d %v", format, cfg.Width, cfg.Height, err)
	}
	for name, raw := range map[string][]byte{
		"not an image": []byte("<svg onload=alert(1)>"),
		"too large":    noisePNG(t, maxBrandLogoSide+1, 1),
	} {
		if _, err := fitLogo(raw); err == nil {
			t.Errorf("%s: fitted", name)
		}
	}
}

// TestWindowsAgentCarriesProviderIcon: with PatchIcon, the served exe has
// the provider's icon as its application icon (read back with winres),
// is a valid PE, and its key slot and signed settings verify; without it,
// the download is the generic program byte for byte.
func TestWindowsAgentCarriesProviderIcon(t *testing.T) {
	generic := genericWindowsAgent(t)
	ico := testICO(t, color.NRGBA{0x0a, 0x7d, 0x5a, 0xff})
	brand := store.Brand{IconKey: "brand/acme/icon-1.ico", PatchIcon: true}
	h := newHarnessWith(t, nil, func(d *Deps) {
		d.Build.(fstest.MapFS)["agents/tether-agent-windows-amd64.exe"] = &fstest.MapFile{Data: generic}
		d.Store = brandedStore{Store: d.Store, brand: func(b *store.Brand) { *b = brand }}
	})
	if _, err := h.srv.Blobs.Put(context.Background(), brand.IconKey, bytes.NewReader(ico)); err != nil {
		t.Fatal(err)
	}
	eng := h.signedUp("Acme", "erin@acme.test")
	_, token := h.newSession(eng, "Maria")
	start := time.Now()
	bin := download(t, h, "/i/"+token+"/agent/windows-amd64")
	first := time.Since(start)
	if set := settingsOf(t, bin); set.Token != token || set.Provider != "Acme" {
		t.Fatalf("settings %+v", set)
	}
	if got := iconOf(t, bin); !bytes.Equal(got, ico) {
		t.Fatalf("the served exe's icon (%d bytes) is not the provider's (%d bytes)", len(got), len(ico))
	}
	f, err := pe.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("patched exe: %v", err)
	}
	if f.Section(".rsrc") == nil || f.Section(".text") == nil {
		t.Fatalf("patched exe sections: %v", f.Sections)
	}
	f.Close()
	t.Logf("generic agent %d bytes, with the icon %d bytes", len(generic), len(bin))

	// The second download comes from the cache, the same bytes but for
	// its own settings.
	_, token2 := h.newSession(eng, "Maria")
	start = time.Now()
	bin2 := download(t, h, "/i/"+token2+"/agent/windows-amd64")
	t.Logf("download with the icon patched in: %v; from the cache: %v", first.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	if settingsOf(t, bin2).Token != token2 || !bytes.Equal(iconOf(t, bin2), ico) {
		t.Fatal("second patched download")
	}

	// A new icon under the same key is patched in afresh.
	ico2 := testICO(t, color.NRGBA{0xff, 0xb0, 0x00, 0xff})
	if _, err := h.srv.Blobs.Put(context.Background(), brand.IconKey, bytes.NewReader(ico2)); err != nil {
		t.Fatal(err)
	}
	_, token = h.newSession(eng, "Maria")
	if !bytes.Equal(iconOf(t, download(t, h, "/i/"+token+"/agent/windows-amd64")), ico2) {
		t.Fatal("the changed icon is not served")
	}

	// Without PatchIcon: the generic program with the key written, then
	// the trailer, as before.
	brand.PatchIcon = false
	_, token = h.newSession(eng, "Maria")
	plain := download(t, h, "/i/"+token+"/agent/windows-amd64")
	keyAt, _, err := protocol.FindKeySlot(bytes.NewReader(generic), int64(len(generic)))
	if err != nil {
		t.Fatal(err)
	}
	want := append([]byte(nil), generic...)
	copy(want[keyAt:], agentSigningKey.Public().(ed25519.PublicKey))
	if !bytes.Equal(plain[:len(generic)], want) {
		t.Fatal("without PatchIcon the program is not the generic one")
	}
	if _, err := winres.LoadFromEXE(bytes.NewReader(plain)); err != winres.ErrNoResources {
		t.Fatalf("the generic agent has resources: %v", err)
	}

	// An icon that is not an ICO: the generic agent, and a log line.
	brand.PatchIcon = true
	if _, err := h.srv.Blobs.Put(context.Background(), brand.IconKey, bytes.NewReader([]byte("not an icon"))); err != nil {
		t.Fatal(err)
	}
	_, token = h.newSession(eng, "Maria")
	if b := download(t, h, "/i/"+token+"/agent/windows-amd64"); !bytes.Equal(b[:len(generic)], want) {
		t.Fatal("a bad icon did not leave the generic agent")
	}
	if !bytes.Contains([]byte(h.logs.String()), []byte("generic agent served")) {
		t.Error("a bad icon is not logged")
	}
}

// iconOf reads the application icon of a Windows program back as an .ico.
func iconOf(t *testing.T, exe []byte) []byte {
	t.Helper()
	rs, err := winres.LoadFromEXE(bytes.NewReader(exe))
	if err != nil {
		t.Fatalf("resources: %v", err)
	}
	icon, err := rs.GetIcon(winres.ID(1))
	if err != nil {
		t.Fatalf("icon: %v", err)
	}
	var b bytes.Buffer
	if err := icon.SaveICO(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
