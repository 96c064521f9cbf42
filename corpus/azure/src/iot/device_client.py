from azure.iot.device import IoTHubDeviceClient

DEVICE_CONN = "HostName=iot-plant-north.azure-devices.net;DeviceId=press-17;SharedAccessKey=xS183NdB83m8mgIaD5FDlR6CebM4Mcmr9y/ll8fNtpI="
SERVICE_CONN = "HostName=iot-plant-north.azure-devices.net;SharedAccessKeyName=iothubowner;SharedAccessKey=7Z71a2CRQwWLkb4caTFxZebLGq0SXAPuiAIoTFCS9IY="
DPS_CONN = "HostName=dps-plant.azure-devices-provisioning.net;SharedAccessKeyName=provisioningserviceowner;SharedAccessKey=Smr3qPxA6kJKGO6TwrbnASVGs6OWbe8a32GPcDxef5o="
TEMPLATE = "HostName={hub}.azure-devices.net;DeviceId={device};SharedAccessKey={key}"
X509 = "HostName=iot-plant-north.azure-devices.net;DeviceId=press-18;x509=true"

client = IoTHubDeviceClient.create_from_connection_string(DEVICE_CONN)
