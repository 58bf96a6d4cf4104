package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/rostersync/rostersync/internal/codec"
	"github.com/rostersync/rostersync/internal/config"
)

// serveCodec serves the payload codec for Temporal Web (its "codec endpoint"),
// so operators see decrypted inputs, results and failures in the browser while
// history on the server stays encrypted. ROSTERSYNC_CODEC_ADDR=off disables it
// (run it on one worker, or behind a proxy with authentication, in production).
func serveCodec(cfg config.Config, keys *codec.Keyring, log *zap.Logger) (*http.Server, error) {
	if cfg.CodecAddr == "" || cfg.CodecAddr == "off" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", cfg.CodecAddr)
	if err != nil {
		return nil, fmt.Errorf("codec endpoint on %s: %w", cfg.CodecAddr, err)
	}
	srv := &http.Server{
		Handler:           codec.NewHandler(keys, codec.HandlerOptions{AllowedOrigins: cfg.CodecOrigins}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("codec endpoint stopped", zap.Error(err))
		}
	}()
	log.Info("codec endpoint listening", zap.String("addr", ln.Addr().String()), zap.Strings("origins", cfg.CodecOrigins))
	return srv, nil
}
