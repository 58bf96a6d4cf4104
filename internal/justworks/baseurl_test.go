package justworks

import "testing"

func TestCheckBaseURL(t *testing.T) {
	t.Setenv(EnvPlainHTTPHosts, "sandbox, other")
	for _, tt := range []struct {
		url string
		ok  bool
	}{
		{"https://api.justworks.example", true},
		{"http://127.0.0.1:8090", true},
		{"http://[::1]:8090", true},
		{"http://localhost:8090", true},
		{"http://sandbox:8090", true},
		{"http://api.justworks.example", false},
		{"http://10.0.0.5:8090", false},
		{"ftp://api.justworks.example", false},
		{"https://user:pw@api.justworks.example", false},
		{"justworks.example", false},
	} {
		if err := CheckBaseURL(tt.url); (err == nil) != tt.ok {
			t.Errorf("CheckBaseURL(%q) = %v, want ok=%v", tt.url, err, tt.ok)
		}
	}
	t.Setenv(EnvPlainHTTPHosts, "")
	if CheckBaseURL("http://sandbox:8090") == nil {
		t.Error("plain http to sandbox accepted without the setting")
	}
}
