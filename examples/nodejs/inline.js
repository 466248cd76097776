// A Node.js inline program (Automation API: no language host needed) using the plugin's Node.js classes.
// Run by tests/plugin_real/test_nodejs_real.py:
//   NODE_PATH=<dir with @pulumi/pulumi> PULUMI_HOME=<plugin installed> node examples/nodejs/inline.js <work dir>
// with SAGEMAKER_RECONCILER_ENDPOINT pointing at the embedded endpoint (or unset, for AWS itself).
// It prints one JSON line per step: up (outputs), preview (change summary), destroy.
"use strict";
const path = require("path");
const { LocalWorkspace, PulumiCommand } = require("@pulumi/pulumi/automation");
const { Workteam } = require(path.join(__dirname, "..", "..", "sdk", "nodejs"));

const program = async () => {
  const team = new Workteam("labelers", {
    description: "Labels street scenes",
    memberDefinitions: [{ cognitoMemberDefinition: { userPool: "us-east-1_AbCdEf123", userGroup: "labelers",
                                                     clientId: "client1" } }],
    tags: { team: "perception" },
  });
  return { name: team.workteamName, arn: team.arn };
};

async function main() {
  const workDir = process.argv[2];
  const pulumiCommand = await PulumiCommand.get({ root: process.env.PULUMI_ROOT, skipVersionCheck: true });
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: "node", projectName: "plugin-nodejs", program },
    { workDir, pulumiCommand, envVars: {}, projectSettings: { name: "plugin-nodejs", runtime: "nodejs" } },
  );
  if (process.env.SAGEMAKER_RECONCILER_ENDPOINT) {
    await stack.setConfig("sagemaker-reconciler:endpoint", { value: process.env.SAGEMAKER_RECONCILER_ENDPOINT });
  }
  const up = await stack.up();
  console.log(JSON.stringify({ step: "up", outputs: { name: up.outputs.name.value, arn: up.outputs.arn.value } }));
  const preview = await stack.preview();
  console.log(JSON.stringify({ step: "preview", changeSummary: preview.changeSummary }));
  await stack.destroy();
  console.log(JSON.stringify({ step: "destroy" }));
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : String(err));
  process.exit(1);
});
