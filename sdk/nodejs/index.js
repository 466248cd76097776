// Node.js classes for the sagemaker-reconciler provider plugin, in the shape `pulumi package gen-sdk`
// generates (no Node.js language plugin is available offline to generate them): the schema's tokens,
// camelCase inputs as in schema.json, outputs as properties. tests/plugin/test_nodejs_sdk.py checks
// them against schema.json; tests/plugin_real/test_nodejs_real.py runs a program through them.
"use strict";
const pulumi = require("@pulumi/pulumi");

const PACKAGE = "sagemaker-reconciler";
const VERSION = require("./package.json").version;

function withVersion(opts) {
  return pulumi.mergeOptions({ version: VERSION }, opts || {});
}

function define(type, inputs, required, outputs) {
  class Resource extends pulumi.CustomResource {
    /** An existing resource's state, read by its name (its id). */
    static get(name, id, opts) {
      return new this(name, undefined, { ...opts, id });
    }

    static isInstance(obj) {
      return obj !== undefined && obj !== null && obj.__pulumiType === type;
    }

    constructor(name, args, opts) {
      opts = opts || {};
      const resourceInputs = {};
      if (!opts.id) {
        for (const key of required) {
          if (!args || args[key] === undefined) {
            throw new Error(`Missing required property '${key}'`);
          }
        }
      }
      for (const key of inputs) {
        resourceInputs[key] = opts.id ? undefined : args ? args[key] : undefined;
      }
      for (const key of outputs) {
        resourceInputs[key] = undefined;
      }
      super(type, name, resourceInputs, withVersion(opts));
    }
  }
  Object.defineProperty(Resource, "__pulumiType", { value: type });
  Object.defineProperty(Resource, "inputNames", { value: Object.freeze([...inputs]) });
  return Resource;
}

/** A SageMaker labeling work team; omit workteamName to get `<name>-<7 hex>`. */
const Workteam = define(
  `${PACKAGE}:index:Workteam`,
  ["workteamName", "workforceName", "description", "memberDefinitions", "notificationConfiguration",
    "workerAccessConfiguration", "tags", "forceDelete"],
  ["description", "memberDefinitions"],
  ["arn", "subdomain", "createDate", "lastUpdatedDate", "productListingIds", "workforceArn"],
);

/** A SageMaker Neo compilation job; `compiledArtifactUri` is the compiled model. */
const CompilationJob = define(
  `${PACKAGE}:index:CompilationJob`,
  ["compilationJobName", "roleArn", "modelPackageVersionArn", "inputConfig", "outputConfig", "vpcConfig",
    "stoppingCondition", "tags", "mode", "deleteArtifacts", "verify", "tuningTrials", "tuning"],
  ["roleArn", "outputConfig"],
  ["arn", "status", "compiledArtifactUri", "artifactDigest", "inferenceImage", "failureReason", "creationTime",
    "compilationStartTime", "compilationEndTime"],
);

/** An explicit provider: another region, profile or endpoint (credentials come from the AWS chain). */
class Provider extends pulumi.ProviderResource {
  constructor(name, args, opts) {
    args = args || {};
    super(PACKAGE, name, { region: args.region, profile: args.profile, endpoint: args.endpoint }, withVersion(opts));
  }
}

module.exports = { Workteam, CompilationJob, Provider };
