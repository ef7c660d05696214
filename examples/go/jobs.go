// Code generated from JSON Schema using quicktype. DO NOT EDIT.
// To parse and unparse this JSON data, add this code to your project and do:
//
//    buildOrderReport, err := UnmarshalBuildOrderReport(bytes)
//    bytes, err = buildOrderReport.Marshal()
//
//    cleanupExpired, err := UnmarshalCleanupExpired(bytes)
//    bytes, err = cleanupExpired.Marshal()
//
//    fetchPreview, err := UnmarshalFetchPreview(bytes)
//    bytes, err = fetchPreview.Marshal()
//
//    processData, err := UnmarshalProcessData(bytes)
//    bytes, err = processData.Marshal()

package main

import "time"

import "encoding/json"

func UnmarshalBuildOrderReport(data []byte) (BuildOrderReport, error) {
	var r BuildOrderReport
	err := json.Unmarshal(data, &r)
	return r, err
}

func (r *BuildOrderReport) Marshal() ([]byte, error) {
	return json.Marshal(r)
}

func UnmarshalCleanupExpired(data []byte) (CleanupExpired, error) {
	var r CleanupExpired
	err := json.Unmarshal(data, &r)
	return r, err
}

func (r *CleanupExpired) Marshal() ([]byte, error) {
	return json.Marshal(r)
}

func UnmarshalFetchPreview(data []byte) (FetchPreview, error) {
	var r FetchPreview
	err := json.Unmarshal(data, &r)
	return r, err
}

func (r *FetchPreview) Marshal() ([]byte, error) {
	return json.Marshal(r)
}

func UnmarshalProcessData(data []byte) (ProcessData, error) {
	var r ProcessData
	err := json.Unmarshal(data, &r)
	return r, err
}

func (r *ProcessData) Marshal() ([]byte, error) {
	return json.Marshal(r)
}

// The body of a "buildOrderReport" job message (docs/wire-format.md). Publish it as UTF-8
// JSON with content_type application/json, delivery_mode 2, message_id = job_id, type =
// "buildOrderReport" and headers x-retry-count = job_try - 1 and x-arq-version = 1.
type BuildOrderReport struct {
	// Positional arguments: send []. Arguments travel by name in kwargs; the worker also maps a
	// Python producer's positional values to the keys in declaration order, which this schema
	// cannot check.
	Args []interface{} `json:"args"`
	// Not before this time (ISO-8601 with an offset), or null. The worker never runs a job
	// early.
	DeferUntil *time.Time `json:"defer_until"`
	// When the job was enqueued: ISO-8601 with an offset.
	EnqueueTime time.Time `json:"enqueue_time"`
	// A deadline for every attempt (ISO-8601 with an offset), or null; after it the job is
	// dead-lettered as expired.
	Expires *time.Time `json:"expires"`
	// The job name, matched verbatim.
	Function BuildOrderReportFunction `json:"function"`
	// The job id: 32 lowercase hex characters (a random UUID without dashes) unless you pick
	// your own.
	JobID string `json:"job_id"`
	// The attempt number: 1 for a new job.
	JobTry int64                `json:"job_try"`
	Kwargs BuildOrderReportArgs `json:"kwargs"`
	// The queue the job is published to.
	QueueName string `json:"queue_name"`
}

// Arguments of job "buildOrderReport" as they travel in the message body's kwargs
// (docs/wire-format.md). Build the report of one order: totals per line, the grand total
// and who gets it. Fields with a default may be left out; the worker fills them in.
type BuildOrderReportArgs struct {
	Currency *Currency `json:"currency,omitempty"`
	Customer Customer  `json:"customer"`
	Lines    []Line    `json:"lines"`
	Note     *string   `json:"note,omitempty"`
	OrderID  string    `json:"orderId"`
	PlacedAt time.Time `json:"placedAt"`
}

type Customer struct {
	Email *string `json:"email"`
	Name  string  `json:"name"`
	Vip   *bool   `json:"vip,omitempty"`
}

type Line struct {
	Quantity       *int64 `json:"quantity,omitempty"`
	Sku            string `json:"sku"`
	UnitPriceCents int64  `json:"unitPriceCents"`
}

// The body of a "cleanupExpired" job message (docs/wire-format.md). Publish it as UTF-8
// JSON with content_type application/json, delivery_mode 2, message_id = job_id, type =
// "cleanupExpired" and headers x-retry-count = job_try - 1 and x-arq-version = 1.
type CleanupExpired struct {
	// Positional arguments: send []. Arguments travel by name in kwargs; the worker also maps a
	// Python producer's positional values to the keys in declaration order, which this schema
	// cannot check.
	Args []interface{} `json:"args"`
	// Not before this time (ISO-8601 with an offset), or null. The worker never runs a job
	// early.
	DeferUntil *time.Time `json:"defer_until"`
	// When the job was enqueued: ISO-8601 with an offset.
	EnqueueTime time.Time `json:"enqueue_time"`
	// A deadline for every attempt (ISO-8601 with an offset), or null; after it the job is
	// dead-lettered as expired.
	Expires *time.Time `json:"expires"`
	// The job name, matched verbatim.
	Function CleanupExpiredFunction `json:"function"`
	// The job id: 32 lowercase hex characters (a random UUID without dashes) unless you pick
	// your own.
	JobID string `json:"job_id"`
	// The attempt number: 1 for a new job.
	JobTry int64              `json:"job_try"`
	Kwargs CleanupExpiredArgs `json:"kwargs"`
	// The queue the job is published to.
	QueueName string `json:"queue_name"`
}

// Arguments of job "cleanupExpired" as they travel in the message body's kwargs
// (docs/wire-format.md). Delete the cached entries older than a cutoff; reports how many
// went. Fields with a default may be left out; the worker fills them in.
type CleanupExpiredArgs struct {
	Cutoff time.Time `json:"cutoff"`
	DryRun *bool     `json:"dryRun,omitempty"`
	Keys   []Key     `json:"keys,omitempty"`
}

type Key struct {
	Key      string    `json:"key"`
	StoredAt time.Time `json:"storedAt"`
}

// The body of a "fetchPreview" job message (docs/wire-format.md). Publish it as UTF-8 JSON
// with content_type application/json, delivery_mode 2, message_id = job_id, type =
// "fetchPreview" and headers x-retry-count = job_try - 1 and x-arq-version = 1.
type FetchPreview struct {
	// Positional arguments: send []. Arguments travel by name in kwargs; the worker also maps a
	// Python producer's positional values to the keys in declaration order, which this schema
	// cannot check.
	Args []interface{} `json:"args"`
	// Not before this time (ISO-8601 with an offset), or null. The worker never runs a job
	// early.
	DeferUntil *time.Time `json:"defer_until"`
	// When the job was enqueued: ISO-8601 with an offset.
	EnqueueTime time.Time `json:"enqueue_time"`
	// A deadline for every attempt (ISO-8601 with an offset), or null; after it the job is
	// dead-lettered as expired.
	Expires *time.Time `json:"expires"`
	// The job name, matched verbatim.
	Function FetchPreviewFunction `json:"function"`
	// The job id: 32 lowercase hex characters (a random UUID without dashes) unless you pick
	// your own.
	JobID string `json:"job_id"`
	// The attempt number: 1 for a new job.
	JobTry int64            `json:"job_try"`
	Kwargs FetchPreviewArgs `json:"kwargs"`
	// The queue the job is published to.
	QueueName string `json:"queue_name"`
}

// Arguments of job "fetchPreview" as they travel in the message body's kwargs
// (docs/wire-format.md). Build the link preview of a page; a page slower than the timeout
// is retried once, then given up. Fields with a default may be left out; the worker fills
// them in.
type FetchPreviewArgs struct {
	PageURL            string `json:"pageUrl"`
	SimulatedLatencyMS *int64 `json:"simulatedLatencyMs,omitempty"`
}

// The body of a "processData" job message (docs/wire-format.md). Publish it as UTF-8 JSON
// with content_type application/json, delivery_mode 2, message_id = job_id, type =
// "processData" and headers x-retry-count = job_try - 1 and x-arq-version = 1.
type ProcessData struct {
	// Positional arguments: send []. Arguments travel by name in kwargs; the worker also maps a
	// Python producer's positional values to the keys in declaration order, which this schema
	// cannot check.
	Args []interface{} `json:"args"`
	// Not before this time (ISO-8601 with an offset), or null. The worker never runs a job
	// early.
	DeferUntil *time.Time `json:"defer_until"`
	// When the job was enqueued: ISO-8601 with an offset.
	EnqueueTime time.Time `json:"enqueue_time"`
	// A deadline for every attempt (ISO-8601 with an offset), or null; after it the job is
	// dead-lettered as expired.
	Expires *time.Time `json:"expires"`
	// The job name, matched verbatim.
	Function ProcessDataFunction `json:"function"`
	// The job id: 32 lowercase hex characters (a random UUID without dashes) unless you pick
	// your own.
	JobID string `json:"job_id"`
	// The attempt number: 1 for a new job.
	JobTry int64           `json:"job_try"`
	Kwargs ProcessDataArgs `json:"kwargs"`
	// The queue the job is published to.
	QueueName string `json:"queue_name"`
}

// Arguments of job "processData" as they travel in the message body's kwargs
// (docs/wire-format.md). Process one data item: checksum its payload and report what was
// done. Fields with a default may be left out; the worker fills them in.
type ProcessDataArgs struct {
	Action    Action     `json:"action"`
	DataID    int64      `json:"dataId"`
	NotBefore *time.Time `json:"notBefore,omitempty"`
	Payload   string     `json:"payload"`
}

type BuildOrderReportFunction string

const (
	FunctionBuildOrderReport BuildOrderReportFunction = "buildOrderReport"
)

type Currency string

const (
	Cny Currency = "CNY"
	Eur Currency = "EUR"
	Usd Currency = "USD"
)

type CleanupExpiredFunction string

const (
	FunctionCleanupExpired CleanupExpiredFunction = "cleanupExpired"
)

type FetchPreviewFunction string

const (
	FunctionFetchPreview FetchPreviewFunction = "fetchPreview"
)

type ProcessDataFunction string

const (
	FunctionProcessData ProcessDataFunction = "processData"
)

type Action string

const (
	Cleanup Action = "cleanup"
	Process Action = "process"
	Retry   Action = "retry"
)
