package consumewindow

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// plainPrefixByByte is plainPrefix one byte at a time: what the word tests must agree with.
func plainPrefixByByte(s []byte) int {
	i := 0
	for i < len(s) && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\' {
		i++
	}
	return i
}

// FuzzPlainPrefix compares plainPrefix (32 and 8 bytes at a time) with a byte-by-byte scan
// on arbitrary bytes, as []byte and as string, and special on arbitrary words: plain bytes
// may only be followed by a special one, and any special byte must show.
func FuzzPlainPrefix(f *testing.F) {
	f.Add([]byte("0123456789abcdef0123456789abcdef0123456789abcdef"), uint8(40))
	f.Add([]byte{}, uint8(0))
	f.Add([]byte("plain text that is long enough for two words\x1f"), uint8(3))
	f.Add([]byte(` !#$%&'()*+,-./[]^_`+"`{|}~\x7f\x80\"\\"), uint8(17))
	f.Fuzz(func(t *testing.T, b []byte, at uint8) {
		// Also the same bytes behind a plain run, so that a special byte lands at every
		// position of the 32- and 8-byte words.
		long := append(bytes.Repeat([]byte("x"), int(at)), b...)
		for _, s := range [][]byte{b, long} {
			want := plainPrefixByByte(s)
			if got := plainPrefix(s); got != want {
				t.Fatalf("plainPrefix(%q) = %d, want %d", s, got, want)
			}
			if got := plainPrefix(string(s)); got != want {
				t.Fatalf("plainPrefix(string %q) = %d, want %d", s, got, want)
			}
		}
		var w [8]byte
		copy(w[:], b)
		x := binary.LittleEndian.Uint64(w[:])
		if got, want := special(x)&hiBits != 0, plainPrefixByByte(w[:]) < 8; got != want {
			t.Fatalf("special(%#x) reports %v, want %v", x, got, want)
		}
	})
}

func BenchmarkPlainPrefix(b *testing.B) {
	v := bytes.Repeat([]byte("0123456789abcdef"), 64)
	b.SetBytes(int64(len(v)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n += plainPrefix(v)
	}
	if n == 0 {
		b.Fatal("no plain bytes")
	}
}
