// dpl-torch/study: the study's machinery below Study: its configuration, the
// results store, the analysis and recommendations, the report, shards and Slurm.
export { Study, readResults, type StudyOptions } from './study.js';
export { parseStudyConfig, readStudyConfig, StudyConfig, type StudyConfigInput } from './config.js';
export { analyse, type Analysis, type AnalyseOptions, type ScoreTable } from './analysis.js';
export { recommend, recommendationText, TASKS, type Recommendation, type RecommendOptions, type Task } from './recommend.js';
export type { Claim, Verdict } from './claims.js';
export { ResultsStore, type RunRecord, type RunIdentity } from './store.js';
export { writeReport, type ReportFiles } from './report.js';
export { StudyInterrupted, type StudyEvent, type RunSummary } from './runner.js';
export { parseShard, assignShards, selectShard, type Shard } from './shards.js';
export { runCost, networkGmacs } from './cost.js';
export type { SlurmOptions, SlurmSubmission, SlurmTask } from './slurm.js';
export type { StudyStatus, RunProgress, RunState } from './status.js';
export { provenance } from './provenance.js';
