// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
)

// configuration is one series of bars. All but virtco's have per, virtco's ratio to them, written
// under each phase as "virtco / <ratio>".
type configuration struct {
	config, label, color string
	seconds              func(phase) float64
	ratio                string
	per                  func(phase) float64
	sameSchemas          bool // only in results with the same-schemas columns
}

// series are the bars of each phase, left to right, virtco first.
var series = []configuration{
	{"virtco", "virtco", "#3b5bdb", func(p phase) float64 { return p.Virtco }, "", nil, false},
	{"same_schemas", "virtco's schemas, no network", "#2f9e44", func(p phase) float64 { return p.Same },
		"same schemas", func(p phase) float64 { return p.PerSame }, true},
	{"noop", "no-op provider", "#f08c00", func(p phase) float64 { return p.Noop },
		"no-op", func(p phase) float64 { return p.PerNoop }, false},
	{"terraform_data", "terraform_data", "#868e96", func(p phase) float64 { return p.Data },
		"terraform_data", func(p phase) float64 { return p.PerData }, false},
}

const (
	width, height         = 760, 480
	left, right           = 64, 24
	top, bottom           = 84, 124
	plotWidth, plotHeight = width - left - right, height - top - bottom
)

// render writes the chart: the y axis in seconds from zero, so that bar heights compare as the
// times do, and under each phase the ratios that the table gives, measured round by round (not
// the ratio of the bars, which are medians of their own).
func render(b *bytes.Buffer, res results) {
	first := phase{}
	if len(res.Phases) > 0 {
		first = res.Phases[0]
	}
	var drawn []configuration
	for _, s := range series {
		if !s.sameSchemas || res.SameSchemas {
			drawn = append(drawn, s)
		}
	}
	maxSeconds := 0.0
	for _, p := range res.Phases {
		for _, s := range drawn {
			maxSeconds = math.Max(maxSeconds, s.seconds(p))
		}
	}
	step, axisTop := axis(maxSeconds)
	y := func(seconds float64) float64 { return top + plotHeight - seconds/axisTop*plotHeight }

	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		width, height, width, height)
	fmt.Fprintf(b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", width, height)
	text(b, width/2, 24, "middle", `font-size="16" font-weight="bold"`,
		"Terraform with the virtco provider and with baselines that have no network")
	rounds := "one round"
	if first.Repeat > 1 {
		rounds = fmt.Sprintf("median of %d interleaved rounds", first.Repeat)
	}
	text(b, width/2, 44, "middle", `fill="#495057"`, fmt.Sprintf(
		"%d objects each, parallelism %d, %s; seconds, lower is better", first.Objects, first.Parallel, rounds))
	// Each legend entry as wide as its label, about 6.5 px a character at 12 px, the row centred.
	entry := func(s configuration) float64 { return 17 + 6.5*float64(len(s.label)) + 24 }
	legendWidth := -24.0
	for _, s := range drawn {
		legendWidth += entry(s)
	}
	x := (width - legendWidth) / 2
	for _, s := range drawn {
		fmt.Fprintf(b, `<rect x="%.1f" y="57" width="12" height="12" fill="%s"/>`+"\n", x, s.color)
		text(b, x+17, 67, "start", "", s.label)
		x += entry(s)
	}

	for v := 0.0; v <= axisTop+step/2; v += step {
		fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#dee2e6"/>`+"\n", left, width-right, y(v), y(v))
		text(b, left-8, y(v)+4, "end", `fill="#495057"`, trimZeros(v)+" s")
	}

	groupWidth := float64(plotWidth) / float64(max(len(res.Phases), 1))
	n := float64(len(drawn))
	barWidth := math.Min(groupWidth*0.66/n, 60)
	gap := barWidth * 0.15
	for i, p := range res.Phases {
		center := left + groupWidth*(float64(i)+0.5)
		x := center - (n*barWidth+(n-1)*gap)/2
		for _, s := range drawn {
			sec := s.seconds(p)
			fmt.Fprintf(b, `<rect class="bar" data-phase="%s" data-config="%s" data-seconds="%.3f" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %.2f s</title></rect>`+"\n",
				esc(p.Name), s.config, sec, x, y(sec), barWidth, y(0)-y(sec), s.color, esc(s.label), esc(p.Name), sec)
			text(b, x+barWidth/2, y(sec)-5, "middle", "", fmt.Sprintf("%.2f", sec))
			x += barWidth + gap
		}
		base := float64(top + plotHeight)
		text(b, center, base+20, "middle", `font-size="14" font-weight="bold"`, p.Name)
		line := base + 40
		for _, s := range drawn[1:] {
			text(b, center, line, "middle", `class="ratio"`, fmt.Sprintf("virtco / %s %.2f×", s.ratio, s.per(p)))
			line += 18
		}
		text(b, center, line, "middle", `fill="#495057"`, fmt.Sprintf("%d API requests", p.Requests))
	}
	fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#495057"/>`+"\n", left, width-right, top+plotHeight, top+plotHeight)
	b.WriteString("</svg>\n")
}

// axis picks a step of 1, 2 or 5 times a power of ten that splits [0, maxSeconds] into at most
// six, and the first multiple of it at or above maxSeconds.
func axis(maxSeconds float64) (step, axisTop float64) {
	if maxSeconds <= 0 {
		return 1, 1
	}
	raw := maxSeconds / 6
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if step = m * pow; step >= raw {
			break
		}
	}
	return step, math.Ceil(maxSeconds/step-1e-9) * step
}

func text(b *bytes.Buffer, x, y float64, anchor, attrs, s string) {
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="%s" %s>%s</text>`+"\n", x, y, anchor, attrs, esc(s))
}

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func trimZeros(v float64) string {
	return fmt.Sprintf("%g", math.Round(v*1000)/1000)
}
