package logging

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/rostersync/rostersync/internal/domain"
)

// New returns a JSON logger on stderr at the given level (debug|info|warn|error).
func New(level string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("log level %q: %w", level, err)
	}
	cfg := zap.NewProductionConfig()
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.Sampling = nil
	cfg.EncoderConfig.TimeKey = "ts"
	cfg.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	return cfg.Build()
}

// SDKLogger adapts zap to go.temporal.io/sdk/log.Logger (as samples-go's
// zapadapter does); keyvals become zap fields. It implements
// log.WithSkipCallers, so the SDK's own wrappers (log.With, the replay logger
// of workflow.GetLogger, activity.GetLogger) skip themselves and a line's
// caller is the code that logged it, not an SDK file. The SDK logs every
// failed activity with its error ("Activity error."); an error whose type
// names people (domain.ErrorType.NamesPeople: a head that was not found, with
// the closest names) is logged by its type only.
func SDKLogger(z *zap.Logger) log.Logger { return &sdkLogger{z: z.WithOptions(zap.AddCallerSkip(1))} }

type sdkLogger struct{ z *zap.Logger }

var _ log.WithSkipCallers = (*sdkLogger)(nil)

// WithCallerSkip returns a logger that skips depth more stack frames.
func (l *sdkLogger) WithCallerSkip(depth int) log.Logger {
	return &sdkLogger{z: l.z.WithOptions(zap.AddCallerSkip(depth))}
}

func (l *sdkLogger) fields(keyvals []any) []zap.Field {
	if len(keyvals)%2 != 0 {
		return []zap.Field{zap.Any("keyvals", keyvals)}
	}
	fs := make([]zap.Field, 0, len(keyvals)/2)
	for i := 0; i < len(keyvals); i += 2 {
		k, ok := keyvals[i].(string)
		if !ok {
			k = fmt.Sprint(keyvals[i])
		}
		fs = append(fs, zap.Any(k, withheld(keyvals[i+1])))
	}
	return fs
}

func (l *sdkLogger) Debug(msg string, keyvals ...any) { l.z.Debug(msg, l.fields(keyvals)...) }
func (l *sdkLogger) Info(msg string, keyvals ...any)  { l.z.Info(msg, l.fields(keyvals)...) }
func (l *sdkLogger) Warn(msg string, keyvals ...any)  { l.z.Warn(msg, l.fields(keyvals)...) }
func (l *sdkLogger) Error(msg string, keyvals ...any) { l.z.Error(msg, l.fields(keyvals)...) }

// With returns a logger with keyvals on every line (log.WithLogger).
func (l *sdkLogger) With(keyvals ...any) log.Logger {
	return &sdkLogger{z: l.z.With(l.fields(keyvals)...)}
}

// withheld replaces an error that quotes employees' names by its type.
func withheld(v any) any {
	err, ok := v.(error)
	if !ok {
		return v
	}
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) && domain.ErrorType(ae.Type()).NamesPeople() {
		return ae.Type() + " (message withheld from the log: it names people; read it in the run's history or summary email)"
	}
	return v
}
