package activities

import "go.uber.org/zap"

func logOrg(org string) zap.Field  { return zap.String("org", org) }
func errField(err error) zap.Field { return zap.String("error", err.Error()) }
