// esbuild for Node, CommonJS (a serverless function): `steadfast/inline`.
const { createClient } = require("steadfast/inline");
const { retriedCall } = require("./call.js");

const [baseUrl, name] = process.argv.slice(2);
retriedCall(createClient, baseUrl, name).then((r) => console.log(JSON.stringify(r)));
