// Push raw articles into a running newsflow from Node.js with celery-node, a Celery client for JavaScript.
//
//   npm ci && NEWSFLOW_REDIS_URL=redis://:PASSWORD@HOST:6379/0 node producer.js article.json [more.json ...]
//
// Each file holds one raw article (schemas/raw-article.v1.json); all the files go as one batch.
"use strict";
const fs = require("fs");
const celery = require("celery-node");

async function main(paths) {
  const articles = paths.map((path) => JSON.parse(fs.readFileSync(path, "utf8")));
  const url = process.env.NEWSFLOW_REDIS_URL;
  // celery-node wants a result backend too; newsflow stores no results, so nothing is ever read from it.
  const client = celery.createClient(url, url, "newsflow.ingest");
  await client.isReady();
  // One positional argument, the batch. celery-node writes the keyword arguments it was not given as null, which
  // newsflow's workers read as {} (Celery itself would refuse the message).
  const result = client.sendTask("newsflow.ingest", [articles]);
  // sendTask publishes once the client is ready, in a promise of its own; waiting on the client's readiness again
  // runs after that publish was handed to Redis, so the disconnect below cannot overtake it.
  await client.isReady();
  await client.disconnect();
  console.log(`sent ${articles.length} article(s) as task ${result.taskId}`);
}

main(process.argv.slice(2)).catch((error) => {
  console.error(`could not send: ${error.message}`);
  process.exit(1);
});
