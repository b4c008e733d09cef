package blob

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

func TestDir(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	d, err := NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Put(ctx, "recordings/s1/0001.chunk", strings.NewReader("one")); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Put(ctx, "recordings/s1/0002.chunk", strings.NewReader("two!")); err != nil {
		t.Fatal(err)
	}
	// A failed put leaves the old blob and no temporary file.
	if _, err := d.Put(ctx, "recordings/s1/0001.chunk", iotest.ErrReader(errors.New("cut"))); err == nil {
		t.Fatal("a failed write succeeded")
	}
	r, info, err := d.Open(ctx, "recordings/s1/0001.chunk")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if string(b) != "one" || info.Size != 3 {
		t.Fatalf("read %q (size %d) after a failed replace, want the old blob", b, info.Size)
	}
	list, err := d.List(ctx, "recordings/s1")
	if err != nil || len(list) != 2 || list[0].Key != "recordings/s1/0001.chunk" || list[1].Size != 4 {
		t.Fatalf("List = %+v, %v", list, err)
	}
	if list, err := d.List(ctx, "recordings/none"); err != nil || len(list) != 0 {
		t.Fatalf("List of nothing = %+v, %v", list, err)
	}
	for _, k := range []string{"recordings/s1/0001.chunk", "recordings/s1/0002.chunk", "recordings/s1/0002.chunk"} {
		if err := d.Delete(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := d.Open(ctx, "recordings/s1/0001.chunk"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("open deleted: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "recordings")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("empty folders left behind: %v", err)
	}
	for _, k := range []string{"", "../x", "a/../../x", "a//b", "/abs", "A", "a/.hidden", "a b", `a\b`} {
		if _, err := d.Put(ctx, k, strings.NewReader("x")); !errors.Is(err, ErrKey) {
			t.Errorf("Put(%q) = %v, want ErrKey", k, err)
		}
	}
}
