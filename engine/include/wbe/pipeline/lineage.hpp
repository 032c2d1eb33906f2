#pragma once
/// @file lineage.hpp
/// Audit lineage of stored estimates (issue 8): every estimate is traceable to the batches it
/// rests on (ids and content hashes), and through its run id to the run record (engine
/// version, config hash, model set and its hash).

#include "wbe/io/hdf5_store.hpp"

namespace wbe::pipeline {

/// Fills the lineage of the store's estimates from its samples and batch records:
/// - each daily estimate's `batch_hash`: the content hash of the active batch `batch_id` names
///   (a row without `batch_id`, from a store before schema 4, takes its sample's batch);
/// - `campaign_batches`: for each campaign estimate, the batches of the daily values it
///   summarises — a site's own days of that residue; for a district or the city, the days of
///   the plants whose site estimate entered the aggregate (same rule as estimate.cpp: plants
///   with a per-capita index); for a composite index (a residue no day has), every batch of the
///   site's days in that campaign.
/// Deterministic: rows come out sorted by (scope, id, campaign, analyte, batch_id).
void attach_lineage(io::store_contents& store);

}  // namespace wbe::pipeline
