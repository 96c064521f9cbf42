const { ServiceBusClient } = require('@azure/service-bus');
const { EventHubProducerClient } = require('@azure/event-hubs');

const sb = new ServiceBusClient('Endpoint=sb://sb-web-notify.servicebus.windows.net/;SharedAccessKeyName=web-send;SharedAccessKey=X+3GO331GXgnF6HR6wl7T12Qtjwdczm0sh9pGul04mM=');
const hub = new EventHubProducerClient('Endpoint=sb://evhns-web-clicks.servicebus.windows.net/;SharedAccessKeyName=producer;SharedAccessKey=BZG5sQx52NifUkKFL8lLqffetV0ntL/5SAvGvTFsGuE=;EntityPath=clicks');
const fromEnv = new ServiceBusClient(process.env.SERVICEBUS_CONNECTION_STRING);

// pre-generated token for the webhook relay
const relayToken = 'SharedAccessSignature sr=https%3A%2F%2Fsb-web-notify.servicebus.windows.net%2Fwebhooks&sig=fGMEYaufNz0LXppsmS8kgilA%2FLPNasViMsgLZ9Pd6dg%3D&se=1901861459&skn=SendOnly';
const oldToken = 'SharedAccessSignature sr=https%3A%2F%2Fsb-web-notify.servicebus.windows.net%2Fwebhooks&sig=HfjFfRjdzVLyErHZvmG9bVGkGnfreQUW4mHvl18FxZM%3D&se=1607104875&skn=SendOnly';
const tokenFormat = 'SharedAccessSignature sr={uri}&sig={signature}&se={expiry}&skn={keyName}';

async function resize(blobName) {
  const res = await fetch(`https://func-web-images.azurewebsites.net/api/resize?name=${blobName}&code=p4DklB2yZwESNVACDTkbBqSb2zoIj-D5eML9kQq69kHoBeka--Dkjg==`);
  return res.json();
}

async function thumbnail(blobName) {
  return fetch('https://func-web-images.azurewebsites.net/api/thumbnail?code=qwzukLLE1BL3KsEyKcRIMFxz4BOHjNqEApYN5Q_FBnvTAzFu7XN0FQ==', { method: 'POST', body: blobName });
}

async function callHttpTrigger() {
  return fetch('https://func-web-images.azurewebsites.net/api/status', {
    headers: { 'x-functions-key': 'I2rLX4Hd2KvKvZqax98_A36JdBvt89EqxTeFd6RVJChnlem9uts_Hw==' },
  });
}

const signinUrl = 'https://func-web-images.azurewebsites.net/.auth/login/aad/callback?code=0.AQ&state=redir';
module.exports = { sb, hub, resize, thumbnail, callHttpTrigger };
