package monitor

import (
	"github.com/jackcode/igmon/instrument"
	"github.com/jackcode/igmon/internal/igsemconv"
)

// Names the alerting tests use, from where they are spelled now.
const (
	attrDependencyName = igsemconv.AttrDependencyName
	KindPayment        = instrument.KindPayment
)
